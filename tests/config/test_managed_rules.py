"""AWS managed rules: each one against a compliant and a non-compliant case from its page.

Every case names its rule; the rule's page is ``rule.documentation``
(https://docs.aws.amazon.com/config/latest/developerguide/<rule-name>.html), where the logic
the case exercises is described. Identifiers, trigger types, resource types and parameters
(names, defaults, optional or not) follow AWS's published list of managed rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from awslab.config.rules.managed import (
    MANAGED_RULES,
    RuleParameterError,
    StaticRuleContext,
    Trigger,
    managed_rule,
)
from awslab.config.rules.model import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE
from awslab.errors import AWSError

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CAPTURED = "2026-05-01T12:00:00.000Z"


def ci(resource_type: str, resource_id: str, configuration: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A configuration item in the API form (configuration as a JSON string, as AWS returns it)."""
    item = {
        "version": "1.3",
        "accountId": "123456789012",
        "configurationItemCaptureTime": CAPTURED,
        "configurationItemStatus": "OK",
        "resourceType": resource_type,
        "resourceId": resource_id,
        "awsRegion": "us-east-1",
        "configuration": json.dumps(configuration or {}),
        "supplementaryConfiguration": {},
        "tags": {},
        "relationships": [],
    }
    item.update(extra)
    return item


def sg(*permissions: dict[str, Any], name: str = "web", egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return ci("AWS::EC2::SecurityGroup", "sg-1", {"groupName": name, "ipPermissions": list(permissions), "ipPermissionsEgress": egress or []})


def tcp(low: int, high: int, *cidrs: str) -> dict[str, Any]:
    return {"ipProtocol": "tcp", "fromPort": low, "toPort": high, "ipv4Ranges": [{"cidrIp": c} for c in cidrs if ":" not in c],
            "ipv6Ranges": [{"cidrIpv6": c} for c in cidrs if ":" in c]}  # fmt: skip


def bucket(**supplementary: Any) -> dict[str, Any]:
    # The API form stores each supplementary value as a JSON string.
    return ci("AWS::S3::Bucket", "my-bucket", {"name": "my-bucket", "owner": {"id": "owner-id"}},
              supplementaryConfiguration={k: json.dumps(v) for k, v in supplementary.items()})  # fmt: skip


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policyText": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def instance(**configuration: Any) -> dict[str, Any]:
    base = {"instanceId": "i-1", "instanceType": "t3.micro", "imageId": "ami-good", "state": {"code": 16, "name": "running"}}
    return ci("AWS::EC2::Instance", "i-1", {**base, **configuration})


def volume(**configuration: Any) -> dict[str, Any]:
    return ci("AWS::EC2::Volume", "vol-1", {"volumeId": "vol-1", **configuration})


def user(name: str = "alice", **configuration: Any) -> dict[str, Any]:
    return ci("AWS::IAM::User", "AIDAALICE", {"userName": name, "userPolicyList": [], "attachedManagedPolicies": [], "groupList": [], **configuration},
              awsRegion="global")  # fmt: skip


def report_row(**columns: str) -> dict[str, str]:
    row = {"user": "alice", "user_creation_time": "2025-01-01T00:00:00+00:00", "password_enabled": "false",
           "password_last_used": "N/A", "password_last_changed": "N/A", "mfa_active": "false",
           "access_key_1_active": "false", "access_key_1_last_rotated": "N/A", "access_key_1_last_used_date": "N/A",
           "access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "access_key_2_last_used_date": "N/A"}  # fmt: skip
    row.update(columns)
    return row


def days_ago(days: int) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def trail(**fields: Any) -> dict[str, Any]:
    return {"Name": "main", "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "S3BucketName": "logs",
            "IsMultiRegionTrail": True, "HomeRegion": "us-east-1", **fields}  # fmt: skip


def trail_item(**configuration: Any) -> dict[str, Any]:
    return ci("AWS::CloudTrail::Trail", "main", {"name": "main", "trailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", **configuration})


def alarm(**configuration: Any) -> dict[str, Any]:
    base = {"alarmName": "cpu", "metricName": "CPUUtilization", "period": 300, "statistic": "Average",
            "alarmActions": ["arn:aws:sns:us-east-1:123456789012:ops"], "insufficientDataActions": ["arn:aws:sns:us-east-1:123456789012:ops"], "okactions": []}  # fmt: skip
    return ci("AWS::CloudWatch::Alarm", "cpu", {**base, **configuration})


def admin_policy(document: dict[str, Any], **configuration: Any) -> dict[str, Any]:
    versions = [{"versionId": "v1", "isDefaultVersion": True, "document": quote(json.dumps(document))}]
    return ci("AWS::IAM::Policy", "ANPAPOLICY", {"policyName": "p", "policyVersionList": versions, **configuration}, awsRegion="global")


def db(**configuration: Any) -> dict[str, Any]:
    return ci("AWS::RDS::DBInstance", "db-1", {"dBInstanceIdentifier": "db-1", "engine": "mysql", **configuration})


GOOD_POLICY = {"RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True, "RequireSymbols": True,
               "RequireNumbers": True, "MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "MaxPasswordAge": 90}  # fmt: skip
PUBLIC_READ = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"}
PUBLIC_WRITE = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*"}
DENY_HTTP = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::my-bucket/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}  # fmt: skip
ALL_BLOCKED = {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": True, "restrictPublicBuckets": True}
ALL_USERS_READ = {"grantList": [{"grantee": "AllUsers", "permission": "Read"}], "owner": {"id": "owner-id"}}


@dataclass
class Case:
    rule: str
    good: dict[str, Any] | None
    bad: dict[str, Any] | None
    params: dict[str, str] | None = None
    good_context: dict[str, Any] = field(default_factory=dict)
    bad_context: dict[str, Any] = field(default_factory=dict)


CASES = [
    # S3 ---------------------------------------------------------------------------------------
    Case("S3_BUCKET_PUBLIC_READ_PROHIBITED", bucket(BucketPolicy=policy(PUBLIC_READ), PublicAccessBlockConfiguration=ALL_BLOCKED),
         bucket(AccessControlList=ALL_USERS_READ)),
    Case("S3_BUCKET_PUBLIC_WRITE_PROHIBITED", bucket(BucketPolicy=policy(PUBLIC_READ)), bucket(BucketPolicy=policy(PUBLIC_WRITE))),
    Case("S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
         bucket(ServerSideEncryptionConfiguration={"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}),
         bucket()),
    Case("S3_BUCKET_VERSIONING_ENABLED", bucket(BucketVersioningConfiguration={"status": "Enabled", "isMfaDeleteEnabled": None}),
         bucket(BucketVersioningConfiguration={"status": "Suspended"})),
    Case("S3_BUCKET_LOGGING_ENABLED", bucket(BucketLoggingConfiguration={"destinationBucketName": "logs", "logFilePrefix": "s3/"}),
         bucket(BucketLoggingConfiguration={"destinationBucketName": "elsewhere", "logFilePrefix": "s3/"}), params={"targetBucket": "logs"}),
    Case("S3_BUCKET_SSL_REQUESTS_ONLY", bucket(BucketPolicy=policy(DENY_HTTP)), bucket(BucketPolicy=policy(PUBLIC_READ))),
    Case("S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", bucket(PublicAccessBlockConfiguration=ALL_BLOCKED),
         bucket(PublicAccessBlockConfiguration={**ALL_BLOCKED, "restrictPublicBuckets": False})),
    Case("S3_BUCKET_ACL_PROHIBITED", bucket(AccessControlList={"grantList": [{"grantee": {"id": "owner-id"}, "permission": "FullControl"}], "owner": {"id": "owner-id"}}),
         bucket(AccessControlList=ALL_USERS_READ)),
    # EC2 --------------------------------------------------------------------------------------
    Case("INCOMING_SSH_DISABLED", sg(tcp(22, 22, "10.0.0.0/16"), tcp(443, 443, "0.0.0.0/0")), sg(tcp(0, 1024, "0.0.0.0/0"))),
    Case("RESTRICTED_INCOMING_TRAFFIC", sg(tcp(22, 22, "0.0.0.0/0"), tcp(3389, 3389, "192.168.0.0/24")), sg(tcp(3389, 3389, "::/0"))),
    Case("VPC_DEFAULT_SECURITY_GROUP_CLOSED", sg(name="default"), sg(tcp(443, 443, "10.0.0.0/8"), name="default")),
    Case("VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS", sg(tcp(443, 443, "0.0.0.0/0")), sg(tcp(8080, 8080, "0.0.0.0/0")),
         params={"authorizedTcpPorts": "443,1020-1025"}),
    Case("ENCRYPTED_VOLUMES", volume(encrypted=True, state="in-use", attachments=[{"instanceId": "i-1"}]),
         volume(encrypted=False, state="in-use", attachments=[{"instanceId": "i-1"}])),
    Case("EC2_VOLUME_INUSE_CHECK", volume(state="in-use", attachments=[{"instanceId": "i-1", "deleteOnTermination": True}]),
         volume(state="available", attachments=[])),
    Case("EC2_EBS_ENCRYPTION_BY_DEFAULT", None, None, good_context={"ebs_encryption_by_default": True}),
    Case("EC2_INSTANCE_NO_PUBLIC_IP", instance(privateIpAddress="10.0.0.5"), instance(publicIpAddress="54.1.2.3")),
    Case("EC2_INSTANCE_DETAILED_MONITORING_ENABLED", instance(monitoring={"state": "enabled"}), instance(monitoring={"state": "disabled"})),
    Case("EC2_IMDSV2_CHECK", instance(metadataOptions={"httpTokens": "required"}), instance(metadataOptions={"httpTokens": "optional"})),
    Case("EC2_INSTANCE_PROFILE_ATTACHED", instance(iamInstanceProfile={"arn": "arn:aws:iam::123456789012:instance-profile/app"}), instance()),
    Case("DESIRED_INSTANCE_TYPE", instance(instanceType="t3.micro"), instance(instanceType="p4d.24xlarge"), params={"instanceType": "t2.micro, t3.micro"}),
    Case("APPROVED_AMIS_BY_ID", instance(imageId="ami-good"), instance(imageId="ami-bad"), params={"amiIds": "ami-good,ami-other"}),
    Case("EC2_STOPPED_INSTANCE", instance(state={"name": "stopped"}, stateTransitionReason="User initiated (2026-05-25 10:00:00 GMT)"),
         instance(state={"name": "stopped"}, stateTransitionReason="User initiated (2026-01-02 10:00:00 GMT)"),
         good_context={"now": NOW}, bad_context={"now": NOW}),
    Case("EIP_ATTACHED", ci("AWS::EC2::EIP", "eipalloc-1", {"allocationId": "eipalloc-1", "associationId": "eipassoc-1", "instanceId": "i-1"}),
         ci("AWS::EC2::EIP", "eipalloc-1", {"allocationId": "eipalloc-1", "publicIp": "54.1.2.3"})),
    # IAM --------------------------------------------------------------------------------------
    Case("IAM_ROOT_ACCESS_KEY_CHECK", None, None, good_context={"account_summary": {"AccountAccessKeysPresent": 0}},
         bad_context={"account_summary": {"AccountAccessKeysPresent": 1}}),
    Case("ROOT_ACCOUNT_MFA_ENABLED", None, None, good_context={"account_summary": {"AccountMFAEnabled": 1}},
         bad_context={"account_summary": {"AccountMFAEnabled": 0}}),
    Case("IAM_PASSWORD_POLICY", None, None, good_context={"password_policy": GOOD_POLICY},
         bad_context={"password_policy": {**GOOD_POLICY, "MinimumPasswordLength": 8}}),
    Case("ACCESS_KEYS_ROTATED", user(), user(), params={"maxAccessKeyAge": "90"},
         good_context={"now": NOW, "credential_rows": [report_row(access_key_1_active="true", access_key_1_last_rotated=days_ago(30))]},
         bad_context={"now": NOW, "credential_rows": [report_row(access_key_1_active="true", access_key_1_last_rotated=days_ago(91))]}),
    Case("IAM_USER_MFA_ENABLED", user(), user(), good_context={"credential_rows": [report_row(mfa_active="true")]},
         bad_context={"credential_rows": [report_row(mfa_active="false")]}),
    Case("IAM_USER_UNUSED_CREDENTIALS_CHECK", user(), user(), params={"maxCredentialUsageAge": "90"},
         good_context={"now": NOW, "credential_rows": [report_row(password_enabled="true", password_last_used=days_ago(3))]},
         bad_context={"now": NOW, "credential_rows": [report_row(password_enabled="true", password_last_used=days_ago(120))]}),
    Case("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
         admin_policy({"Statement": [{"Sid": "VisualEditor", "Effect": "Allow", "Action": "service:*", "Resource": "*"}]}),
         admin_policy({"Statement": [{"Sid": "VisualEditor", "Effect": "Allow", "Action": "*", "Resource": "*"}]})),
    Case("IAM_USER_NO_POLICIES_CHECK", user(groupList=["devs"]),
         user(attachedManagedPolicies=[{"policyName": "AdministratorAccess", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}])),
    Case("IAM_NO_INLINE_POLICY_CHECK", ci("AWS::IAM::Role", "AROAROLE", {"roleName": "app", "rolePolicyList": []}),
         ci("AWS::IAM::Role", "AROAROLE", {"roleName": "app", "rolePolicyList": [{"policyName": "inline"}]})),
    Case("IAM_GROUP_HAS_USERS_CHECK", ci("AWS::IAM::Group", "AGPADEVS", {"groupName": "devs"}), ci("AWS::IAM::Group", "AGPADEVS", {"groupName": "devs"}),
         good_context={"items": [user(groupList=["devs"])]}, bad_context={"items": [user(groupList=["ops"])]}),
    Case("IAM_USER_GROUP_MEMBERSHIP_CHECK", user(groupList=["devs"]), user(groupList=["ops"]), params={"groupNames": "devs,admins"}),
    # CloudTrail and CloudWatch ----------------------------------------------------------------
    Case("CLOUD_TRAIL_ENABLED", None, None, params={"s3BucketName": "logs"},
         good_context={"trails": [trail()], "trail_statuses": {"main": {"IsLogging": True}}},
         bad_context={"trails": [trail()], "trail_statuses": {"main": {"IsLogging": False}}}),
    Case("MULTI_REGION_CLOUD_TRAIL_ENABLED", None, None, params={"readWriteType": "ALL", "includeManagementEvents": "true"},
         good_context={"trails": [trail()], "trail_statuses": {"main": {"IsLogging": True}}},
         bad_context={"trails": [trail(IsMultiRegionTrail=False)], "trail_statuses": {"main": {"IsLogging": True}}}),
    Case("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", trail_item(logFileValidationEnabled=True), trail_item(logFileValidationEnabled=False)),
    Case("CLOUD_TRAIL_ENCRYPTION_ENABLED", trail_item(kmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k"), trail_item()),
    Case("CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", trail_item(cloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:trail:*"),
         trail_item(cloudWatchLogsLogGroupArn="")),
    Case("CLOUDWATCH_ALARM_ACTION_CHECK", alarm(), alarm(insufficientDataActions=[]),
         params={"alarmActionRequired": "true", "insufficientDataActionRequired": "true", "okActionRequired": "false"}),
    Case("CLOUDWATCH_ALARM_SETTINGS_CHECK", alarm(), alarm(period=60), params={"metricName": "CPUUtilization", "period": "300"}),
    # RDS and tags -------------------------------------------------------------------------------
    Case("RDS_STORAGE_ENCRYPTED", db(storageEncrypted=True), db(storageEncrypted=False)),
    Case("RDS_INSTANCE_PUBLIC_ACCESS_CHECK", db(publiclyAccessible=False), db(publiclyAccessible=True)),
    Case("RDS_MULTI_AZ_SUPPORT", db(multiAZ=True), db(multiAZ=False)),
    Case("REQUIRED_TAGS", instance() | {"tags": {"CostCenter": "42", "Owner": "ops"}}, instance() | {"tags": {"costcenter": "42"}},
         params={"tag1Key": "CostCenter", "tag2Key": "Owner", "tag2Value": "ops,dev"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_compliant_and_non_compliant(case):
    """The rule's page (rule.documentation) describes both outcomes this case checks."""
    rule = MANAGED_RULES[case.rule]
    for item, context, expected in ((case.good, case.good_context, COMPLIANT), (case.bad, case.bad_context, NON_COMPLIANT)):
        evaluations = rule.evaluate(item, case.params, StaticRuleContext(**context))
        assert [e.compliance_type for e in evaluations] == [expected], (rule.documentation, evaluations)
        expected_type = "AWS::::Account" if rule.account_level else json.loads(json.dumps(item))["resourceType"]
        assert evaluations[0].compliance_resource_type == expected_type


def test_every_rule_has_a_case_and_there_are_at_least_25():
    """Issue 9 asks for at least 25 managed rules from the reference table, each tested."""
    assert {c.rule for c in CASES} == set(MANAGED_RULES)
    assert len(MANAGED_RULES) >= 25


@pytest.mark.parametrize(
    ("identifier", "name", "trigger", "resource_types"),
    [
        ("ENCRYPTED_VOLUMES", "encrypted-volumes", Trigger.CONFIGURATION_CHANGES, ("AWS::EC2::Volume",)),
        ("INCOMING_SSH_DISABLED", "restricted-ssh", Trigger.CONFIGURATION_CHANGES_AND_PERIODIC, ("AWS::EC2::SecurityGroup",)),
        ("RESTRICTED_INCOMING_TRAFFIC", "restricted-common-ports", Trigger.CONFIGURATION_CHANGES_AND_PERIODIC, ("AWS::EC2::SecurityGroup",)),
        ("CLOUD_TRAIL_ENABLED", "cloudtrail-enabled", Trigger.PERIODIC, ()),
        ("ACCESS_KEYS_ROTATED", "access-keys-rotated", Trigger.PERIODIC, ("AWS::IAM::User",)),
        ("S3_BUCKET_PUBLIC_READ_PROHIBITED", "s3-bucket-public-read-prohibited", Trigger.CONFIGURATION_CHANGES_AND_PERIODIC, ("AWS::S3::Bucket",)),
    ],
)
def test_identifiers_names_and_triggers(identifier, name, trigger, resource_types):
    """The pages' Identifier, rule name, Trigger type and Resource Types."""
    rule = managed_rule(identifier)
    assert (rule.name, rule.trigger, rule.resource_types) == (name, trigger, resource_types)
    assert rule.documentation == f"https://docs.aws.amazon.com/config/latest/developerguide/{name}.html"


def test_unknown_identifier_is_refused():
    """PutConfigRule refuses a SourceIdentifier that is not a managed rule."""
    with pytest.raises(AWSError) as caught:
        managed_rule("NO_SUCH_RULE")
    assert caught.value.code == "InvalidParameterValueException"
    assert caught.value.message.startswith("The sourceIdentifier NO_SUCH_RULE is invalid.")


def test_input_parameter_validation():
    """PutConfigRule: InvalidParameterValueException for bad JSON, unknown names, missing required
    parameters and non-string values (messages as AWS gives them, recorded by moto)."""
    rule = managed_rule("ACCESS_KEYS_ROTATED")
    assert rule.validate_input_parameters('{"maxAccessKeyAge":"30"}') == {"maxAccessKeyAge": "30"}
    cases = {
        "{not json": "Invalid json {not json passed in the InputParameters field",
        '{"maxAccessKeyAge":"30","colour":"red"}': 'Unknown parameters provided in the inputParameters: {"maxAccessKeyAge":"30","colour":"red"}',
        "{}": "The required parameter [maxAccessKeyAge] is not present in the inputParameters",
        '{"maxAccessKeyAge":30}': "Blank spaces are not acceptable for input parameter: maxAccessKeyAge.",
    }
    for text, message in cases.items():
        with pytest.raises(AWSError) as caught:
            rule.validate_input_parameters(text)
        assert (caught.value.code, caught.value.message) == ("InvalidParameterValueException", message)
    assert managed_rule("ENCRYPTED_VOLUMES").validate_input_parameters(None) == {}


def test_parameter_defaults_and_types():
    """restricted-common-ports: blockedPort1..5 default to 20, 21, 3389, 3306, 4333; the
    iam-password-policy page: "true" is case-sensitive and anything else means false."""
    assert managed_rule("RESTRICTED_INCOMING_TRAFFIC").resolve_parameters(None) == {
        "blockedPort1": 20, "blockedPort2": 21, "blockedPort3": 3389, "blockedPort4": 3306, "blockedPort5": 4333
    }  # fmt: skip
    assert managed_rule("RESTRICTED_INCOMING_TRAFFIC").resolve_parameters({"blockedPorts": "8080, 9000"})["blockedPorts"] == ["8080", "9000"]
    resolved = managed_rule("IAM_PASSWORD_POLICY").resolve_parameters({"RequireSymbols": "True"})
    assert resolved["RequireSymbols"] is False and resolved["RequireNumbers"] is True
    weak = {**GOOD_POLICY, "RequireSymbols": False}
    evaluate = managed_rule("IAM_PASSWORD_POLICY").evaluate
    assert evaluate(None, {"RequireSymbols": "True"}, StaticRuleContext(password_policy=weak))[0].compliance_type == COMPLIANT
    assert evaluate(None, {"RequireSymbols": "true"}, StaticRuleContext(password_policy=weak))[0].compliance_type == NON_COMPLIANT
    assert evaluate(None, None, StaticRuleContext(password_policy=None))[0].compliance_type == NON_COMPLIANT
    with pytest.raises(RuleParameterError):
        managed_rule("ACCESS_KEYS_ROTATED").resolve_parameters({"maxAccessKeyAge": "ninety"})


def test_encrypted_volumes_scope_and_key():
    """encrypted-volumes: only attached volumes are checked; kmsId may be a key id or ARN."""
    rule = managed_rule("ENCRYPTED_VOLUMES")
    ctx = StaticRuleContext()
    assert rule.evaluate(volume(encrypted=False, state="available", attachments=[]), None, ctx)[0].compliance_type == NOT_APPLICABLE
    attached = volume(encrypted=True, state="in-use", attachments=[{"instanceId": "i-1"}],
                      kmsKeyId="arn:aws:kms:us-east-1:123456789012:key/1234abcd")  # fmt: skip
    assert rule.evaluate(attached, {"kmsId": "1234abcd"}, ctx)[0].compliance_type == COMPLIANT
    assert rule.evaluate(attached, {"kmsId": "other"}, ctx)[0].compliance_type == NON_COMPLIANT


@pytest.mark.parametrize(
    ("permission", "expected"),
    [
        (tcp(22, 22, "0.0.0.0/0"), NON_COMPLIANT),
        (tcp(22, 22, "::/0"), NON_COMPLIANT),
        (tcp(20, 25, "0.0.0.0/0"), NON_COMPLIANT),
        ({"ipProtocol": "-1", "ipRanges": ["0.0.0.0/0"]}, NON_COMPLIANT),
        (tcp(22, 22, "203.0.113.0/24"), COMPLIANT),
        ({"ipProtocol": "udp", "fromPort": 22, "toPort": 22, "ipRanges": ["0.0.0.0/0"]}, COMPLIANT),
        (tcp(80, 80, "0.0.0.0/0"), COMPLIANT),
    ],
)
def test_restricted_ssh(permission, expected):
    """restricted-ssh: COMPLIANT when SSH sources are restricted (CIDR other than 0.0.0.0/0 or ::/0)."""
    assert managed_rule("INCOMING_SSH_DISABLED").evaluate(sg(permission), None, StaticRuleContext())[0].compliance_type == expected


def test_default_group_rule_ignores_other_groups():
    """vpc-default-security-group-closed: NOT_APPLICABLE if the security group is not default."""
    evaluation = managed_rule("VPC_DEFAULT_SECURITY_GROUP_CLOSED").evaluate(sg(tcp(22, 22, "0.0.0.0/0")), None, StaticRuleContext())
    assert evaluation[0].compliance_type == NOT_APPLICABLE


def test_required_tags_keys_are_case_sensitive_and_values_listed():
    """required-tags: up to six keys; optional comma-separated allowed values."""
    rule = managed_rule("REQUIRED_TAGS")
    ctx = StaticRuleContext()
    tagged = instance() | {"tags": {"CostCenter": "42"}}
    assert rule.evaluate(tagged, {"tag1Key": "CostCenter"}, ctx)[0].compliance_type == COMPLIANT
    assert rule.evaluate(tagged, {"tag1Key": "costcenter"}, ctx)[0].compliance_type == NON_COMPLIANT
    assert rule.evaluate(tagged, {"tag1Key": "CostCenter", "tag1Value": "7,8"}, ctx)[0].compliance_type == NON_COMPLIANT


def test_s3_public_read_respects_block_public_access():
    """s3-bucket-public-read-prohibited: a public policy is fine when Block Public Access
    restricts public policies, also at the account level."""
    rule = managed_rule("S3_BUCKET_PUBLIC_READ_PROHIBITED")
    public = bucket(BucketPolicy=policy(PUBLIC_READ))
    assert rule.evaluate(public, None, StaticRuleContext())[0].compliance_type == NON_COMPLIANT
    account_bpa = ci("AWS::S3::AccountPublicAccessBlock", "123456789012", {"restrictPublicBuckets": True})
    assert rule.evaluate(public, None, StaticRuleContext(items=[account_bpa]))[0].compliance_type == COMPLIANT


def test_deleted_and_out_of_scope_items():
    """A deleted resource is NOT_APPLICABLE; an item of another type is not evaluated."""
    rule = managed_rule("EC2_IMDSV2_CHECK")
    gone = instance() | {"configurationItemStatus": "ResourceDeleted", "configuration": None}
    assert [e.compliance_type for e in rule.evaluate(gone, None, StaticRuleContext())] == [NOT_APPLICABLE]
    assert rule.evaluate(volume(), None, StaticRuleContext()) == []


def test_ordering_timestamps_and_periodic_runs():
    """OrderingTimestamp: the item's capture time for a change, the invocation time for a
    periodic run, which evaluates every recorded item of the rule's types."""
    rule = managed_rule("INCOMING_SSH_DISABLED")
    open_group = sg(tcp(22, 22, "0.0.0.0/0"))
    closed = sg() | {"resourceId": "sg-2"}
    changed = rule.evaluate(open_group, None, StaticRuleContext(now=NOW))
    assert changed[0].ordering_timestamp == datetime(2026, 5, 1, 12, tzinfo=UTC)
    periodic = rule.evaluate(None, None, StaticRuleContext(now=NOW, items=[open_group, closed, instance()]))
    assert [(e.compliance_resource_id, e.compliance_type, e.ordering_timestamp) for e in periodic] == [
        ("sg-1", NON_COMPLIANT, NOW), ("sg-2", COMPLIANT, NOW)
    ]  # fmt: skip
    account = managed_rule("ROOT_ACCOUNT_MFA_ENABLED").evaluate(None, None, StaticRuleContext(now=NOW))
    assert account[0].to_api()["ComplianceResourceId"] == "123456789012"
    assert account[0].to_api()["OrderingTimestamp"] == NOW


def test_annotations_are_at_most_256_characters():
    """Evaluation.Annotation is limited to 256 characters (API Evaluation)."""
    long_ami = "ami-" + "x" * 300
    evaluation = managed_rule("APPROVED_AMIS_BY_ID").evaluate(instance(imageId=long_ami), {"amiIds": "ami-good"}, StaticRuleContext())
    assert len(evaluation[0].annotation) == 256 and evaluation[0].annotation.endswith("[truncated]")


def test_items_from_the_config_items_table_are_understood():
    """Rules read a config_items row (snake_case columns, JSON text) as well as the API form."""
    row = {"resource_type": "AWS::EC2::Volume", "resource_id": "vol-9", "status": "OK",
           "capture_time": datetime(2026, 1, 1, tzinfo=UTC),
           "configuration": json.dumps({"encrypted": False, "state": "in-use", "attachments": [{"instanceId": "i-1"}]})}  # fmt: skip
    evaluation = managed_rule("ENCRYPTED_VOLUMES").evaluate(row, None, StaticRuleContext())
    assert (evaluation[0].compliance_resource_id, evaluation[0].compliance_type) == ("vol-9", NON_COMPLIANT)
