"""AWS Config at scale: record 10,000 resources with one change each, then evaluate 25 managed rules.

Recording goes through the recorder path: synthetic ``resource_changed`` facts published on the
lab's hub in batches of 1,000 (one transaction and one hub delivery per batch, as the facts of one
API call are delivered), exactly as the world's services publish them.
Evaluation goes through StartConfigRulesEvaluation (each rule reads the current items from
``config_items`` and records its results in one SQL batch). The baseline, measured in the same
run, is the same managed-rule logic called once per item in a plain Python loop over the same
items, keeping results in a dict: the floor for any engine that runs the rules' Python logic.
Recording has its own baseline, also in the same run: the first ``ONE_AT_A_TIME`` resources recorded
in a second lab with every fact delivered on its own (as a lab without batched delivery would).

Run: .venv/bin/python benchmarks/config_rules.py [resources]
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta

from awslab import Lab
from awslab.config.lessons import start_recording
from awslab.config.rules.managed import MANAGED_RULES, StaticRuleContext

RULES = [
    "ENCRYPTED_VOLUMES", "EC2_VOLUME_INUSE_CHECK", "INCOMING_SSH_DISABLED", "RESTRICTED_INCOMING_TRAFFIC",
    "VPC_DEFAULT_SECURITY_GROUP_CLOSED", "EC2_INSTANCE_NO_PUBLIC_IP", "DESIRED_INSTANCE_TYPE", "APPROVED_AMIS_BY_ID",
    "S3_BUCKET_PUBLIC_READ_PROHIBITED", "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "S3_BUCKET_VERSIONING_ENABLED", "S3_BUCKET_LOGGING_ENABLED",
    "S3_BUCKET_SSL_REQUESTS_ONLY", "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "REQUIRED_TAGS", "EIP_ATTACHED",
    "EC2_STOPPED_INSTANCE", "EC2_EBS_ENCRYPTION_BY_DEFAULT", "ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK",
    "IAM_PASSWORD_POLICY", "CLOUD_TRAIL_ENABLED", "MULTI_REGION_CLOUD_TRAIL_ENABLED", "RDS_STORAGE_ENCRYPTED",
]
PARAMETERS = {"DESIRED_INSTANCE_TYPE": {"instanceType": "t3.micro"}, "APPROVED_AMIS_BY_ID": {"amiIds": "ami-12345678"},
              "REQUIRED_TAGS": {"tag1Key": "CostCenter"}}
BATCH = 1000
ONE_AT_A_TIME = 1000


def fact(n: int, status: str, lab: Lab) -> dict:
    """A synthetic resource: volumes, security groups, instances and buckets in turn."""
    kind = n % 4
    changed = status == "updated"
    base = {"status": status, "region": lab.region, "account_id": lab.account_id, "time": lab.now,
            "event_id": None, "principal": None, "availability_zone": None, "resource_creation_time": lab.start,
            "supplementary_configuration": {}, "tags": {"CostCenter": "42"} if n % 3 else {}, "relationships": []}
    if kind == 0:
        return {**base, "resource_type": "AWS::EC2::Volume", "resource_id": f"vol-{n:017x}", "resource_name": None,
                "arn": None, "configuration": {"volumeId": f"vol-{n:017x}", "encrypted": n % 2 == 0,
                                               "state": "in-use" if changed else "available", "size": 8,
                                               "attachments": [{"instanceId": "i-1", "deleteOnTermination": True}]
                                               if changed else []}}
    if kind == 1:
        ingress = [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                    "ipv4Ranges": [{"cidrIp": "0.0.0.0/0" if n % 5 == 0 else "10.0.0.0/8"}], "ipRanges": []}]
        return {**base, "resource_type": "AWS::EC2::SecurityGroup", "resource_id": f"sg-{n:017x}",
                "resource_name": f"group-{n}", "arn": None,
                "configuration": {"groupId": f"sg-{n:017x}", "groupName": f"group-{n}",
                                  "ipPermissions": ingress if changed else [], "ipPermissionsEgress": []}}
    if kind == 2:
        return {**base, "resource_type": "AWS::EC2::Instance", "resource_id": f"i-{n:017x}", "resource_name": None,
                "arn": None, "configuration": {"instanceId": f"i-{n:017x}", "imageId": "ami-12345678",
                                               "instanceType": "t3.micro" if n % 7 else "m5.large",
                                               "state": {"name": "running" if changed else "pending"},
                                               "publicIpAddress": None}}
    name = f"bucket-{n:08d}"
    return {**base, "resource_type": "AWS::S3::Bucket", "resource_id": name, "resource_name": name,
            "arn": f"arn:aws:s3:::{name}", "configuration": {"name": name},
            "supplementary_configuration": {
                "BucketVersioningConfiguration": {"status": "Enabled" if changed and n % 2 else "Off"},
                "PublicAccessBlockConfiguration": {"blockPublicAcls": True, "ignorePublicAcls": True,
                                                   "blockPublicPolicy": True, "restrictPublicBuckets": n % 9 != 0}}}


def recording_lab() -> Lab:
    """A lab whose recorder records everything into a delivery channel's bucket."""
    lab = Lab(start="2026-01-01T00:00:00Z")
    start_recording(lab, "config-bench-bucket")
    return lab


def record(lab: Lab, resources: int, batch: int) -> None:
    """Create ``resources`` resources, then change each once, ``batch`` facts per hub delivery."""
    for status in ("created", "updated"):
        for first in range(0, resources, BATCH):
            with lab.transaction():
                for start in range(first, min(first + BATCH, resources), batch):
                    with lab.hub.held():
                        for n in range(start, min(start + batch, resources)):
                            lab.hub.publish("resource_changed", fact(n, status, lab))
        lab.advance(minutes=1)


def main(resources: int = 10_000) -> None:
    lab = recording_lab()
    started = time.perf_counter()
    record(lab, resources, BATCH)
    recorded = time.perf_counter() - started
    sample = min(resources, ONE_AT_A_TIME)
    single = recording_lab()
    started = time.perf_counter()
    record(single, sample, 1)
    recorded_singly = time.perf_counter() - started
    cfg = lab.client("config")
    items = lab.sql("SELECT count(*) FROM config_items").fetchall()[0][0]

    for identifier in RULES:
        cfg.put_config_rule(ConfigRule={"ConfigRuleName": identifier.lower(), "Source": {
            "Owner": "AWS", "SourceIdentifier": identifier},
            **({"InputParameters": json.dumps(PARAMETERS[identifier])} if identifier in PARAMETERS else {})})
    lab.advance(minutes=1)
    started = time.perf_counter()
    names = [r.lower() for r in RULES]
    cfg.start_config_rules_evaluation(ConfigRuleNames=names)
    evaluated = time.perf_counter() - started
    results = lab.sql("SELECT count(*) FROM config_evaluations WHERE result_recorded_time >= ?",
                      [lab.now]).fetchall()[0][0]

    # Baseline: the same rule logic called per item in a plain loop, results kept in a dict.
    current = [json.loads(i) for (i,) in lab.sql(
        "SELECT item FROM config_items QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id "
        "ORDER BY state_id DESC) = 1").fetchall()]
    by_type: dict[str, list] = {}
    for item in current:
        by_type.setdefault(item["resourceType"], []).append(item)
    context = StaticRuleContext(now=lab.now + timedelta(minutes=1), items=current)
    context.list_items = lambda resource_type: by_type.get(resource_type, [])  # a fair baseline: grouped once
    started = time.perf_counter()
    baseline: dict = {}
    for identifier in RULES:
        rule = MANAGED_RULES[identifier]
        for evaluation in rule.evaluate(None, PARAMETERS.get(identifier), context):
            baseline[(identifier, evaluation.compliance_resource_id)] = evaluation.compliance_type
    loop = time.perf_counter() - started

    print(f"recorded {resources} resources, one change each ({items} configuration items) in {recorded:.2f} s "
          f"({2 * resources / recorded:,.0f} items/s)")
    print(f"baseline, {sample} resources with every fact delivered alone: {recorded_singly:.2f} s "
          f"({2 * sample / recorded_singly:,.0f} items/s); batched is "
          f"{(2 * resources / recorded) / (2 * sample / recorded_singly):.1f}x the rate")
    print(f"StartConfigRulesEvaluation of {len(RULES)} managed rules: {results} results in {evaluated:.2f} s")
    print(f"baseline, same rule logic in a plain Python loop: {len(baseline)} results in {loop:.2f} s")
    print(f"ratio lab/baseline for evaluation: {evaluated / loop:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
