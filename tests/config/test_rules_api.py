"""Config rules through the API: PutConfigRule's checks, change-triggered and periodic evaluation,
custom Lambda rules reporting with PutEvaluations, compliance roll-up, remediation, discovery and
SelectResourceConfig over recorded items.

https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigRule.html
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config-rules.html
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html
https://docs.aws.amazon.com/config/latest/APIReference/API_PutEvaluations.html
https://docs.aws.amazon.com/config/latest/developerguide/encrypted-volumes.html
https://docs.aws.amazon.com/config/latest/developerguide/remediation.html
"""

from __future__ import annotations

import json
from datetime import timedelta

import botocore.exceptions
import pytest

from awslab.config import delivery


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def start_recording(lab, include_global=False):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="config-bucket-1")
    s3.put_bucket_policy(Bucket="config-bucket-1", Policy=json.dumps(delivery.bucket_policy("config-bucket-1",
                                                                                             lab.account_id)))
    cfg = lab.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": include_global}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket-1"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    return cfg


def instance_with_volumes(lab):
    ec2 = lab.client("ec2")
    inst = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    zone = inst["Placement"]["AvailabilityZone"]
    plain = ec2.create_volume(AvailabilityZone=zone, Size=8)["VolumeId"]
    encrypted = ec2.create_volume(AvailabilityZone=zone, Size=8, Encrypted=True)["VolumeId"]
    lab.advance(minutes=1)
    ec2.attach_volume(VolumeId=plain, InstanceId=inst["InstanceId"], Device="/dev/sdf")
    ec2.attach_volume(VolumeId=encrypted, InstanceId=inst["InstanceId"], Device="/dev/sdg")
    lab.advance(minutes=1)
    return inst["InstanceId"], plain, encrypted


def results(cfg, rule):
    return {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r["ComplianceType"]
            for r in cfg.get_compliance_details_by_config_rule(ConfigRuleName=rule)["EvaluationResults"]}


def test_put_config_rule_errors(lab):
    """PutConfigRule refuses unknown managed identifiers, SourceDetails on AWS rules, bad parameters,
    scopes mixing tags with resources, and Lambda functions that cannot be invoked."""
    cfg = lab.client("config")
    put = cfg.put_config_rule
    assert error_of(put, ConfigRule={"ConfigRuleName": "r", "Source": {"Owner": "AWS", "SourceIdentifier": "NOPE"}}
                    )[0] == "InvalidParameterValueException"
    assert error_of(put, ConfigRule={"ConfigRuleName": "r", "Source": {
        "Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES", "SourceDetails": [
            {"EventSource": "aws.config", "MessageType": "ScheduledNotification"}]}})[0] == "InvalidParameterValueException"
    code, message = error_of(put, ConfigRule={"ConfigRuleName": "r", "InputParameters": '{"wrong": "1"}',
                                              "Source": {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}})
    assert code == "InvalidParameterValueException" and "Unknown parameters" in message
    code, message = error_of(put, ConfigRule={"ConfigRuleName": "r", "Source": {
        "Owner": "AWS", "SourceIdentifier": "DESIRED_INSTANCE_TYPE"}})
    assert "required parameter [instanceType]" in message
    assert error_of(put, ConfigRule={"ConfigRuleName": "r", "Scope": {"TagKey": "a", "ComplianceResourceTypes": [
        "AWS::EC2::Volume"]}, "Source": {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}})[1] == \
        "Scope cannot be applied to both resource and tag"
    assert error_of(put, ConfigRule={"ConfigRuleName": "r", "Source": {
        "Owner": "CUSTOM_LAMBDA", "SourceIdentifier": "arn:aws:lambda:us-east-1:123456789012:function:none",
        "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ScheduledNotification"}]}}
    )[0] == "InsufficientPermissionsException"
    assert error_of(put, ConfigRule={"ConfigRuleName": "r", "Source": {
        "Owner": "CUSTOM_LAMBDA", "SourceIdentifier": "x", "SourceDetails": [
            {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification",
             "MaximumExecutionFrequency": "One_Hour"}]}})[0] == "InvalidParameterValueException"
    assert error_of(cfg.describe_config_rules, ConfigRuleNames=["missing"])[0] == "NoSuchConfigRuleException"
    assert error_of(cfg.delete_config_rule, ConfigRuleName="missing")[0] == "NoSuchConfigRuleException"


def test_encrypted_volumes_end_to_end(lab):
    """encrypted-volumes: an attached unencrypted volume is NON_COMPLIANT, an encrypted one COMPLIANT;
    the rule rolls up NON_COMPLIANT with the count of noncompliant volumes."""
    cfg = start_recording(lab)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "encrypted-volumes",
                                    "Source": {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}})
    _, plain, encrypted = instance_with_volumes(lab)
    found = results(cfg, "encrypted-volumes")
    assert found[plain] == "NON_COMPLIANT" and found[encrypted] == "COMPLIANT"
    by_rule = cfg.describe_compliance_by_config_rule(ConfigRuleNames=["encrypted-volumes"])["ComplianceByConfigRules"]
    # the instance's root volume is unencrypted too
    assert by_rule[0]["Compliance"] == {"ComplianceType": "NON_COMPLIANT",
                                        "ComplianceContributorCount": {"CappedCount": 2, "CapExceeded": False}}
    by_resource = cfg.describe_compliance_by_resource(ResourceType="AWS::EC2::Volume", ResourceId=encrypted)
    assert by_resource["ComplianceByResources"][0]["Compliance"]["ComplianceType"] == "COMPLIANT"
    detail = cfg.get_compliance_details_by_resource(ResourceType="AWS::EC2::Volume", ResourceId=plain)
    assert detail["EvaluationResults"][0]["Annotation"] == "The attached volume is not encrypted."
    summary = cfg.get_compliance_summary_by_resource_type(ResourceTypes=["AWS::EC2::Volume"])
    counts = summary["ComplianceSummariesByResourceType"][0]["ComplianceSummary"]
    assert counts["CompliantResourceCount"]["CappedCount"] == 1
    assert counts["NonCompliantResourceCount"]["CappedCount"] == 2
    assert cfg.get_compliance_summary_by_config_rule()["ComplianceSummary"]["NonCompliantResourceCount"][
        "CappedCount"] == 1
    status = cfg.describe_config_rule_evaluation_status()["ConfigRulesEvaluationStatus"][0]
    assert status["ConfigRuleName"] == "encrypted-volumes" and "LastSuccessfulEvaluationTime" in status


def test_compliance_change_notification_on_the_hub(lab):
    """ComplianceChangeNotification is sent only when compliance changes; the first has no oldEvaluationResult."""
    heard = []
    lab.hub.subscribe("config_compliance_changed", heard.append)
    cfg = start_recording(lab)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "restricted-ssh",
                                    "Source": {"Owner": "AWS", "SourceIdentifier": "INCOMING_SSH_DISABLED"}})
    ec2 = lab.client("ec2")
    group = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    mine = [f["message"] for f in heard if f["message"]["resourceId"] == group]
    assert [m["newEvaluationResult"]["complianceType"] for m in mine] == ["COMPLIANT"]
    assert "oldEvaluationResult" not in mine[0] and mine[0]["messageType"] == "ComplianceChangeNotification"
    lab.advance(minutes=1)
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    lab.advance(minutes=1)
    ec2.create_tags(Resources=[group], Tags=[{"Key": "team", "Value": "a"}])  # a change that keeps compliance
    mine = [f["message"] for f in heard if f["message"]["resourceId"] == group]
    assert [m["newEvaluationResult"]["complianceType"] for m in mine] == ["COMPLIANT", "NON_COMPLIANT"]
    assert mine[1]["oldEvaluationResult"]["complianceType"] == "COMPLIANT"


def test_periodic_rule_runs_on_the_lab_clock(lab):
    """A periodic rule evaluates on creation and then every MaximumExecutionFrequency; the account
    rule ec2-ebs-encryption-by-default reports AWS::::Account."""
    cfg = lab.client("config")
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "ebs-default", "MaximumExecutionFrequency": "One_Hour",
                                    "Source": {"Owner": "AWS", "SourceIdentifier": "EC2_EBS_ENCRYPTION_BY_DEFAULT"}})
    assert results(cfg, "ebs-default") == {lab.account_id: "NON_COMPLIANT"}
    lab.client("ec2").enable_ebs_encryption_by_default()
    lab.advance(minutes=59)
    assert results(cfg, "ebs-default") == {lab.account_id: "NON_COMPLIANT"}
    lab.advance(minutes=1)
    assert results(cfg, "ebs-default") == {lab.account_id: "COMPLIANT"}
    runs = lab.sql("SELECT count(*) FROM config_evaluations WHERE config_rule_name = 'ebs-default'").fetchall()[0][0]
    lab.advance(hours=5)
    assert lab.sql("SELECT count(*) FROM config_evaluations WHERE config_rule_name = 'ebs-default'"
                   ).fetchall()[0][0] == runs + 5


def test_custom_lambda_rule_reports_with_put_evaluations(lab):
    """A custom rule's function gets AWS's invoking event and answers with PutEvaluations and the
    invocation's result token; a wrong token is InvalidResultTokenException."""
    cfg = start_recording(lab)
    events = []

    def only_t3(event, context):
        events.append(event)
        invoking = json.loads(event["invokingEvent"])
        item = invoking["configurationItem"]
        allowed = json.loads(event["ruleParameters"])["type"]
        ok = item["configuration"]["instanceType"] == allowed
        cfg.put_evaluations(ResultToken=event["resultToken"], Evaluations=[{
            "ComplianceResourceType": item["resourceType"], "ComplianceResourceId": item["resourceId"],
            "ComplianceType": "COMPLIANT" if ok else "NON_COMPLIANT",
            "OrderingTimestamp": item["configurationItemCaptureTime"]}])

    arn = lab.create_function("only-t3", only_t3)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "only-t3", "InputParameters": '{"type": "t3.micro"}',
                                    "Scope": {"ComplianceResourceTypes": ["AWS::EC2::Instance"]},
                                    "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": arn, "SourceDetails": [
                                        {"EventSource": "aws.config",
                                         "MessageType": "ConfigurationItemChangeNotification"}]}})
    ec2 = lab.client("ec2")
    small = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    big = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"][0]
    assert results(cfg, "only-t3") == {small["InstanceId"]: "COMPLIANT", big["InstanceId"]: "NON_COMPLIANT"}
    event = events[0]
    assert set(event) >= {"invokingEvent", "ruleParameters", "resultToken", "eventLeftScope", "executionRoleArn",
                          "configRuleArn", "configRuleName", "configRuleId", "accountId", "version"}
    assert event["version"] == "1.0" and event["eventLeftScope"] is False
    invoking = json.loads(event["invokingEvent"])
    assert invoking["messageType"] == "ConfigurationItemChangeNotification"
    assert {"configurationItem", "configurationItemDiff", "notificationCreationTime"} <= set(invoking)
    evaluation = {"ComplianceResourceType": "AWS::EC2::Instance", "ComplianceResourceId": "i-1",
                  "ComplianceType": "COMPLIANT", "OrderingTimestamp": lab.now}
    assert error_of(cfg.put_evaluations, ResultToken="bogus", Evaluations=[evaluation])[0] == \
        "InvalidResultTokenException"
    assert error_of(cfg.put_evaluations, ResultToken=event["resultToken"], Evaluations=[
        {**evaluation, "ComplianceType": "INSUFFICIENT_DATA"}])[0] == "InvalidParameterValueException"
    assert error_of(cfg.put_evaluations, ResultToken=event["resultToken"], Evaluations=[
        {**evaluation, "Annotation": "x" * 257}])[0] == "ValidationException"
    assert cfg.put_evaluations(ResultToken=event["resultToken"], Evaluations=[evaluation], TestMode=True
                               )["FailedEvaluations"] == []
    assert "i-1" not in results(cfg, "only-t3")  # TestMode records nothing


def test_custom_periodic_rule_gets_a_scheduled_notification(lab):
    """Periodic custom rules receive ScheduledNotification events with awsAccountId."""
    cfg = lab.client("config")
    seen = []

    def account_rule(event, context):
        seen.append(json.loads(event["invokingEvent"]))
        cfg.put_evaluations(ResultToken=event["resultToken"], Evaluations=[{
            "ComplianceResourceType": "AWS::::Account", "ComplianceResourceId": event["accountId"],
            "ComplianceType": "COMPLIANT", "OrderingTimestamp": seen[-1]["notificationCreationTime"]}])

    arn = lab.create_function("account-rule", account_rule)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "account", "Source": {
        "Owner": "CUSTOM_LAMBDA", "SourceIdentifier": arn, "SourceDetails": [
            {"EventSource": "aws.config", "MessageType": "ScheduledNotification",
             "MaximumExecutionFrequency": "Three_Hours"}]}})
    assert cfg.describe_config_rules()["ConfigRules"][0]["Source"]["SourceDetails"][0][
        "MaximumExecutionFrequency"] == "Three_Hours"
    lab.advance(hours=6)
    assert [s["messageType"] for s in seen] == ["ScheduledNotification"] * 3
    assert seen[0]["awsAccountId"] == lab.account_id
    assert results(cfg, "account") == {lab.account_id: "COMPLIANT"}


def test_remediation_fixes_a_public_bucket(lab):
    """Automatic remediation with AWS-DisableS3BucketPublicReadWrite turns on Block Public Access,
    and the rule finds the bucket compliant on the recorded change."""
    cfg = start_recording(lab)
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="public-bucket-1")
    s3.put_public_access_block(Bucket="public-bucket-1", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "bucket-bpa", "Source": {
        "Owner": "AWS", "SourceIdentifier": "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"}})
    assert results(cfg, "bucket-bpa")["public-bucket-1"] == "NON_COMPLIANT"
    cfg.put_remediation_configurations(RemediationConfigurations=[{
        "ConfigRuleName": "bucket-bpa", "TargetType": "SSM_DOCUMENT", "TargetId": "AWS-DisableS3BucketPublicReadWrite",
        "Parameters": {"S3BucketName": {"ResourceValue": {"Value": "RESOURCE_ID"}}}, "Automatic": False}])
    shown = cfg.describe_remediation_configurations(ConfigRuleNames=["bucket-bpa"])["RemediationConfigurations"]
    assert shown[0]["TargetId"] == "AWS-DisableS3BucketPublicReadWrite"
    assert error_of(cfg.delete_config_rule, ConfigRuleName="bucket-bpa")[0] == "ResourceInUseException"
    answer = cfg.start_remediation_execution(ConfigRuleName="bucket-bpa", ResourceKeys=[
        {"resourceType": "AWS::S3::Bucket", "resourceId": "public-bucket-1"}])
    assert answer["FailedItems"] == []
    assert s3.get_public_access_block(Bucket="public-bucket-1")["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    assert results(cfg, "bucket-bpa")["public-bucket-1"] == "COMPLIANT"
    status = cfg.describe_remediation_execution_status(ConfigRuleName="bucket-bpa")
    assert status["RemediationExecutionStatuses"][0]["State"] == "SUCCEEDED"


def test_automatic_remediation_and_exceptions(lab):
    """Automatic remediation runs when a resource becomes noncompliant; a remediation exception
    keeps a resource out of it."""
    cfg = start_recording(lab)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "bucket-bpa", "Source": {
        "Owner": "AWS", "SourceIdentifier": "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"}})
    cfg.put_remediation_configurations(RemediationConfigurations=[{
        "ConfigRuleName": "bucket-bpa", "TargetType": "SSM_DOCUMENT", "TargetId": "AWS-DisableS3BucketPublicReadWrite",
        "Parameters": {"S3BucketName": {"ResourceValue": {"Value": "RESOURCE_ID"}}}, "Automatic": True}])
    assert cfg.describe_remediation_configurations(ConfigRuleNames=["bucket-bpa"])["RemediationConfigurations"][0][
        "MaximumAutomaticAttempts"] == 5
    cfg.put_remediation_exceptions(ConfigRuleName="bucket-bpa", ResourceKeys=[
        {"ResourceType": "AWS::S3::Bucket", "ResourceId": "kept-open-1"}], Message="website")
    s3 = lab.client("s3")
    off = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
           "RestrictPublicBuckets": False}
    for name in ("fixed-bucket-1", "kept-open-1"):
        s3.create_bucket(Bucket=name)
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=off)
    lab.advance(minutes=1)
    assert s3.get_public_access_block(Bucket="fixed-bucket-1")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
    assert not s3.get_public_access_block(Bucket="kept-open-1")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
    found = results(cfg, "bucket-bpa")
    assert found["fixed-bucket-1"] == "COMPLIANT" and found["kept-open-1"] == "NON_COMPLIANT"
    assert cfg.describe_remediation_exceptions(ConfigRuleName="bucket-bpa")["RemediationExceptions"][0][
        "Message"] == "website"


def test_discovery_at_recorder_start_and_select(lab):
    """Starting the recorder takes an inventory of existing resources (ResourceDiscovered items);
    SelectResourceConfig then answers over them."""
    ec2 = lab.client("ec2")
    ec2.create_security_group(GroupName="before", Description="made before recording")
    lab.client("s3").create_bucket(Bucket="early-bucket-1")
    lab.client("iam").create_user(UserName="alice")
    cfg = start_recording(lab, include_global=True)
    found = dict(lab.sql("SELECT resource_name, status FROM config_items WHERE resource_name IN "
                         "('early-bucket-1', 'alice')").fetchall())
    assert found == {"early-bucket-1": "ResourceDiscovered", "alice": "ResourceDiscovered"}
    answer = cfg.select_resource_config(Expression="SELECT resourceName WHERE resourceType = 'AWS::S3::Bucket' "
                                                   "ORDER BY resourceName")
    assert [json.loads(r)["resourceName"] for r in answer["Results"]] == ["config-bucket-1", "early-bucket-1"]
    groups = cfg.select_resource_config(Expression="SELECT COUNT(*) WHERE resourceType = 'AWS::EC2::SecurityGroup'")
    assert json.loads(groups["Results"][0])["COUNT(*)"] == 2  # the default group and ours
    assert error_of(cfg.select_resource_config, Expression="SELECT * FROM x")[0] == "InvalidExpressionException"


def test_software_inventory_is_recorded(lab):
    """With inventory on, an instance's applications are recorded as AWS::SSM::ManagedInstanceInventory."""
    cfg = start_recording(lab)
    inst = lab.client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    service = lab.service_for("config")
    service.enable_inventory(inst, applications=[{"Name": "nginx", "Version": "1.24.0"}])
    lab.advance(minutes=5)
    service.enable_inventory(inst, applications=[{"Name": "nginx", "Version": "1.26.0"}])
    history = cfg.get_resource_config_history(resourceType="AWS::SSM::ManagedInstanceInventory", resourceId=inst)
    versions = [json.loads(i["configuration"])["AWS:Application"]["Content"]["nginx"]["Version"]
                for i in history["configurationItems"]]
    assert versions == ["1.26.0", "1.24.0"]


def test_start_config_rules_evaluation_and_delete(lab):
    """StartConfigRulesEvaluation re-runs rules on the last known state; DeleteConfigRule removes results."""
    cfg = start_recording(lab)
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "ev", "Source": {"Owner": "AWS",
                                                                       "SourceIdentifier": "ENCRYPTED_VOLUMES"}})
    instance_with_volumes(lab)
    before = lab.sql("SELECT count(*) FROM config_evaluations").fetchall()[0][0]
    lab.advance(minutes=5)
    cfg.start_config_rules_evaluation(ConfigRuleNames=["ev"])
    assert lab.sql("SELECT count(*) FROM config_evaluations").fetchall()[0][0] == before + 3
    cfg.delete_config_rule(ConfigRuleName="ev")
    assert lab.sql("SELECT count(*) FROM config_evaluations").fetchall()[0][0] == 0
    assert cfg.describe_config_rules()["ConfigRules"] == []
    assert lab.now - timedelta(minutes=7) >= lab.start


def test_turning_on_automatic_remediation_remediates_what_is_already_noncompliant(lab):
    """API_PutRemediationConfigurations: enabling auto remediation initiates remediation for the
    rule's noncompliant resources; HTTPS stays open, SSH from anywhere goes."""
    cfg = start_recording(lab)
    ec2 = lab.client("ec2")
    group = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        for port in (22, 443)])
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "ssh", "Source": {
        "Owner": "AWS", "SourceIdentifier": "INCOMING_SSH_DISABLED"}})
    assert results(cfg, "ssh")[group] == "NON_COMPLIANT"
    cfg.put_remediation_configurations(RemediationConfigurations=[{
        "ConfigRuleName": "ssh", "TargetType": "SSM_DOCUMENT", "TargetId": "AWS-DisablePublicAccessForSecurityGroup",
        "Parameters": {"GroupId": {"ResourceValue": {"Value": "RESOURCE_ID"}}}, "Automatic": True}])
    status = cfg.describe_remediation_execution_status(ConfigRuleName="ssh")["RemediationExecutionStatuses"]
    assert [(s["ResourceKey"]["resourceId"], s["State"]) for s in status] == [(group, "SUCCEEDED")]
    permissions = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert [p["FromPort"] for p in permissions] == [443]
    assert results(cfg, "ssh")[group] == "COMPLIANT"  # the revocation is a change the rule judged again
