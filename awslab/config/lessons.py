"""Helpers and self-checking exercises for the AWS Config notebooks (40, 41).

The checkers ask the lab (Config's own API, its tables, its query engine) for the answer, so the
notebooks never hard-code a result the engine could disagree with.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..exercises import Exercise, Wrong
from .rules.compliance import current_results_sql

TIMELINE_SQL = """WITH moments AS (
    SELECT DISTINCT date_trunc('second', result_recorded_time) AS time FROM config_evaluations
    WHERE account_id = $account AND region = $region AND config_rule_name IN (SELECT unnest($rules))),
latest AS (
    SELECT m.time, e.config_rule_name, e.compliance_type FROM moments m JOIN config_evaluations e
      ON e.result_recorded_time < m.time + INTERVAL 1 SECOND AND e.account_id = $account AND e.region = $region
     AND e.config_rule_name IN (SELECT unnest($rules))
    -- current_results_sql's choice, once per moment
    QUALIFY row_number() OVER (PARTITION BY m.time, e.config_rule_name, e.resource_type, e.resource_id
                               ORDER BY e.ordering_timestamp DESC, e.result_recorded_time DESC) = 1)
SELECT time, config_rule_name AS rule,
       count(*) FILTER (WHERE compliance_type = 'COMPLIANT') AS "COMPLIANT",
       count(*) FILTER (WHERE compliance_type = 'NON_COMPLIANT') AS "NON_COMPLIANT"
FROM latest GROUP BY ALL ORDER BY time, rule"""

AT_SQL = f"""WITH recorded_by_then AS (
    SELECT * FROM config_evaluations WHERE result_recorded_time < $at + INTERVAL 1 SECOND)
SELECT resource_type, resource_id, compliance_type FROM ({current_results_sql("recorded_by_then", scoped=True)})
WHERE config_rule_name = $rule
ORDER BY compliance_type, resource_type, resource_id"""


def compliance_timeline(lab: Any, rules: list[str], region: str | None = None) -> Any:
    """Per evaluation instant and rule: how many resources were COMPLIANT and NON_COMPLIANT (a DataFrame)."""
    return lab.db.execute(TIMELINE_SQL, {"account": lab.account_id, "region": region or lab.region,
                                         "rules": rules}).df()


def compliance_at(lab: Any, rule: str, at: datetime, region: str | None = None) -> list[tuple[str, str, str]]:
    """(type, id, compliance) of each resource the rule had evaluated by ``at``, its latest result then
    (the newest OrderingTimestamp among the results recorded by then, as Config keeps them)."""
    found = lab.db.execute(AT_SQL, {"scope_account": lab.account_id, "scope_region": region or lab.region,
                                    "rule": rule, "at": at}).fetchall()
    return [tuple(r) for r in found]


def delivered_files(lab: Any, bucket: str) -> list[str]:
    """The keys of the Config files in a delivery bucket, oldest delivery first."""
    s3 = lab.client("s3")
    found = [o for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="AWSLogs/")
             for o in page.get("Contents", []) if "/Config/" in o["Key"]]
    return [o["Key"] for o in sorted(found, key=lambda o: (o["LastModified"], o["Key"]))]


def read_delivered(lab: Any, bucket: str, key: str) -> dict[str, Any]:
    """A delivered history or snapshot file, unzipped and parsed."""
    body = lab.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return json.loads(gzip.decompress(body))


def file_summary(lab: Any, bucket: str) -> list[tuple[str, str, str, int]]:
    """(kind, resource type, time or window, number of items) for each Config file in the bucket,
    read from AWS's file names: ``…_ConfigHistory_TYPE_START_END_1`` and ``…_ConfigSnapshot_TIME_ID``."""
    out = []
    for key in delivered_files(lab, bucket):
        name = key.rsplit("/", 1)[-1].removesuffix(".json.gz")
        count = len(read_delivered(lab, bucket, key)["configurationItems"])
        if "_ConfigSnapshot_" in name:
            stamp = name.split("_ConfigSnapshot_", 1)[1].split("_", 1)[0]
            out.append(("snapshot", "(every type)", _readable(stamp), count))
        else:
            rest = name.split("_ConfigHistory_", 1)[1].rsplit("_", 3)
            out.append(("history", rest[0].replace("_", "::"), f"{_readable(rest[1])} → {_readable(rest[2])}", count))
    return out


def _readable(stamp: str) -> str:
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").strftime("%a %d %H:%M")


# ---------------------------------------------------------------------- exercises, notebook 40
UNENCRYPTED_VOLUMES = "SELECT resourceId WHERE resourceType = 'AWS::EC2::Volume' AND configuration.encrypted = false"


def recorder_exercises(lab: Any, volume_id: str, instance_id: str, tuesday: datetime) -> list[Exercise]:
    """Three questions on items, history and advanced query, checked against the lab's Config."""
    config = lab.client("config")

    statuses = [i["configurationItemStatus"] for i in config.get_resource_config_history(
        resourceType="AWS::EC2::Volume", resourceId=volume_id, chronologicalOrder="Forward")["configurationItems"]]
    q1 = Exercise("How many configuration items has Config recorded for the volume so far? "
                  "(Count what GetResourceConfigHistory returns.)", expected=len(statuses),
                  hints=["Every change to a resource's configuration or relationships is a new item: creation, "
                         "attachment, …", "len(cfg.get_resource_config_history(resourceType='AWS::EC2::Volume', "
                         "resourceId=volume)['configurationItems'])"],
                  answer=f"{len(statuses)}: {', '.join(statuses)}")

    then = config.get_resource_config_history(resourceType="AWS::EC2::Instance", resourceId=instance_id,
                                              laterTime=tuesday, limit=1)["configurationItems"]
    old_type = json.loads(then[0]["configuration"])["instanceType"] if then else None
    q2 = Exercise("What was the instance's type last Tuesday at noon? (Ask Config, not EC2.)", expected=old_type,
                  hints=["GetResourceConfigHistory with laterTime set to the moment and limit=1 returns the item "
                         "that was current then.", "The configuration field is a JSON string: json.loads it."],
                  answer=repr(old_type))

    def unencrypted_volumes(query: Any) -> None:
        if not isinstance(query, str):
            raise Wrong("give the query as a string")
        try:
            answer = config.select_resource_config(Expression=query)
        except ClientError as error:
            raise Wrong(f"{error.response['Error']['Code']}: {error.response['Error']['Message']}") from None
        wanted = config.select_resource_config(Expression=UNENCRYPTED_VOLUMES)["Results"]
        ids = sorted(json.loads(r)["resourceId"] for r in wanted)
        found = sorted(json.loads(r).get("resourceId", "") for r in answer["Results"])
        if found != ids:
            raise Wrong(f"the query returned {len(found)} result(s) ({', '.join(found) or 'none'}); the unencrypted "
                        f"volumes are {', '.join(ids) or 'none'}; select resourceId")

    q3 = Exercise("Write a SelectResourceConfig query that lists the resourceId of every unencrypted EBS volume.",
                  checker=unencrypted_volumes,
                  hints=["SELECT … WHERE … (no FROM: the items are the only table)",
                         "configuration.encrypted is a boolean property of AWS::EC2::Volume"],
                  answer=UNENCRYPTED_VOLUMES)
    return [q1, q2, q3]


# ---------------------------------------------------------------------- exercises, notebook 41
def start_recording(lab: Any, bucket: str = "config-history") -> Any:
    """Notebook 40's set-up in one call: a bucket Config may write to, a recorder, a channel, started."""
    from .delivery import bucket_policy

    s3, config = lab.client("s3"), lab.client("config")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(bucket, lab.account_id)))
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{lab.account_id}:role/config-recorder"})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    return config


def custom_rule_exercise(lab: Any) -> Exercise:
    """The learner's custom rule (a Python Lambda handler) must judge instances by their type.

    The checker launches a t3.micro and an m5.large in ``lab``, runs the handler as a CUSTOM_LAMBDA
    rule (parameter ``allowed`` = "t3.micro,t3.small") and compares what it reported with what the
    rule should say; then it deletes the rule and terminates the two instances again.
    """
    attempts = [0]

    def check(handler: Any) -> None:
        if not callable(handler):
            raise Wrong("give the handler function itself, e.g. q1.check(only_small_instances)")
        attempts[0] += 1
        name = f"only-small-instances-{attempts[0]}"
        ec2, config = lab.client("ec2"), lab.client("config")
        small, large = (ec2.run_instances(ImageId="ami-12345678", InstanceType=t, MinCount=1, MaxCount=1)
                        ["Instances"][0]["InstanceId"] for t in ("t3.micro", "m5.large"))
        arn = lab.create_function(name, handler)
        config.put_config_rule(ConfigRule={
            "ConfigRuleName": name, "InputParameters": json.dumps({"allowed": "t3.micro,t3.small"}),
            "Scope": {"ComplianceResourceTypes": ["AWS::EC2::Instance"]},
            "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": arn, "SourceDetails": [
                {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}]}})
        try:
            status = config.describe_config_rule_evaluation_status(ConfigRuleNames=[name])[
                "ConfigRulesEvaluationStatus"][0]
            results = {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"]
                       for r in config.get_compliance_details_by_config_rule(ConfigRuleName=name)["EvaluationResults"]}
        finally:
            config.delete_config_rule(ConfigRuleName=name)
            ec2.terminate_instances(InstanceIds=[small, large])
        if status.get("LastErrorCode"):
            raise Wrong(f"the rule failed: {status['LastErrorCode']}: {status.get('LastErrorMessage', '')}")
        got = {"t3.micro": results.get(small), "m5.large": results.get(large)}
        if got == {"t3.micro": None, "m5.large": None}:
            raise Wrong("the rule reported nothing for either instance: does the handler call put_evaluations "
                        "with the event's resultToken?")
        if got != {"t3.micro": "COMPLIANT", "m5.large": "NON_COMPLIANT"}:
            raise Wrong(f"the rule reported {got}; wanted the t3.micro COMPLIANT and the m5.large NON_COMPLIANT")

    return Exercise("Write a custom rule handler(event, context) that reports each EC2 instance COMPLIANT when its "
                    "instanceType is in the rule parameter 'allowed' (comma-separated), NON_COMPLIANT otherwise.",
                    checker=check,
                    hints=["json.loads(event['invokingEvent'])['configurationItem'] is the item (notification "
                           "form: its configuration is an object); json.loads(event['ruleParameters'])['allowed'] "
                           "the parameter",
                           "Report with cfg.put_evaluations(ResultToken=event['resultToken'], Evaluations=[...]); "
                           "OrderingTimestamp is the item's configurationItemCaptureTime"],
                    answer="see the solution cell under the exercise")


def rules_exercises(lab: Any, rule: str, remediated_rule: str, group_id: str) -> list[Exercise]:
    """Two questions on compliance roll-up and remediation, checked against the lab's Config."""
    config = lab.client("config")
    summary = config.describe_compliance_by_config_rule(ConfigRuleNames=[rule])["ComplianceByConfigRules"][0]
    rolled_up = summary["Compliance"]["ComplianceType"]
    q2 = Exercise(f"Rule {rule}: is it COMPLIANT or NON_COMPLIANT as a whole right now?", expected=rolled_up,
                  hints=["A rule is NON_COMPLIANT when any resource it evaluated is; COMPLIANT when all are.",
                         "DescribeComplianceByConfigRule answers it"], answer=repr(rolled_up))
    details = config.get_compliance_details_by_config_rule(ConfigRuleName=remediated_rule)["EvaluationResults"]
    now = next((r["ComplianceType"] for r in details
                if r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"] == group_id), None)
    q3 = Exercise(f"After automatic remediation ran, what does {remediated_rule} report for security group "
                  f"{group_id}?", expected=now,
                  hints=["The remediation's RevokeSecurityGroupIngress changed the group: Config recorded a new "
                         "item, and the change-triggered rule evaluated it again.",
                         "GetComplianceDetailsByConfigRule answers it"], answer=repr(now))
    return [q2, q3]
