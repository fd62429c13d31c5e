"""Managed and inline policies, versions, attachment, and the policy grammar IAM enforces."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}]}


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def iam(lab):
    return lab.client("iam")


@pytest.fixture(scope="module")
def shared_lab():
    from awslab import Lab
    lab = Lab(strict=True)
    yield lab
    lab.close()


def test_aws_managed_policies_are_there(iam):
    """AWS managed policies exist with their published documents.
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html"""
    policy = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert policy["AttachmentCount"] == 1 and policy["DefaultVersionId"] == "v1"
    document = iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]["Document"]
    assert document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    aws = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert {"ReadOnlyAccess", "SecurityAudit", "AmazonS3ReadOnlyAccess", "AWS_ConfigRole"} <= aws
    assert iam.list_policies(Scope="Local")["Policies"] == []
    attached = iam.list_policies(OnlyAttached=True)["Policies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    with pytest.raises(ClientError) as refused:
        iam.delete_policy(PolicyArn=ADMIN)
    assert error_of(refused)[0] == "AccessDenied"


def test_policy_versions(iam):
    """Five versions at most; the default version cannot be deleted; a policy with other versions
    cannot be deleted. https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html"""
    arn = iam.create_policy(PolicyName="ReadLogs", PolicyDocument=json.dumps(READ_LOGS),
                            Description="read logs")["Policy"]["Arn"]
    assert arn == "arn:aws:iam::123456789012:policy/ReadLogs"
    with pytest.raises(ClientError) as dup:
        iam.create_policy(PolicyName="readlogs", PolicyDocument=json.dumps(READ_LOGS))
    assert error_of(dup) == ("EntityAlreadyExists", "A policy called readlogs already exists. Duplicate names are "
                             "not allowed.", 409)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_LOGS))
    with pytest.raises(ClientError) as sixth:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_LOGS))
    assert error_of(sixth) == ("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new "
                               "version, you must delete an existing version.", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    with pytest.raises(ClientError) as default:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    assert error_of(default) == ("DeleteConflict", "Cannot delete the default version of a policy.", 409)
    with pytest.raises(ClientError) as has_versions:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(has_versions)[0] == "DeleteConflict"
    for version in ("v1", "v2", "v3", "v4"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v5"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "read logs"
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as gone:
        iam.get_policy(PolicyArn=arn)
    assert error_of(gone) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_attachment(iam):
    """Attach/Detach to users, groups and roles; ten at most; a policy in use cannot be deleted.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"""
    iam.create_user(UserName="erin")
    arn = iam.create_policy(PolicyName="ReadLogs", PolicyDocument=json.dumps(READ_LOGS))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="erin", PolicyArn=arn)
    with pytest.raises(ClientError) as in_use:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(in_use) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["erin"] and entities["PolicyGroups"] == []
    with pytest.raises(ClientError) as unknown:
        iam.attach_user_policy(UserName="erin", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert error_of(unknown) == ("NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is "
                                 "not attachable.", 404)
    names = ["ReadOnlyAccess", "SecurityAudit", "IAMReadOnlyAccess", "AmazonS3ReadOnlyAccess",
             "AmazonEC2ReadOnlyAccess", "CloudWatchReadOnlyAccess", "AWSCloudTrail_ReadOnlyAccess",
             "AWSConfigUserAccess", "AmazonSQSFullAccess"]
    for name in names:
        iam.attach_user_policy(UserName="erin", PolicyArn=f"arn:aws:iam::aws:policy/{name}")
    with pytest.raises(ClientError) as eleventh:
        iam.attach_user_policy(UserName="erin", PolicyArn=ADMIN)
    assert error_of(eleventh) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10", 409)
    iam.detach_user_policy(UserName="erin", PolicyArn=arn)
    with pytest.raises(ClientError) as not_attached:
        iam.detach_user_policy(UserName="erin", PolicyArn=arn)
    assert error_of(not_attached)[0] == "NoSuchEntity"


def test_inline_policies(iam):
    """Put/Get/List/Delete inline policies; documents come back decoded by botocore."""
    iam.create_user(UserName="frank")
    iam.put_user_policy(UserName="frank", PolicyName="logs", PolicyDocument=json.dumps(READ_LOGS))
    got = iam.get_user_policy(UserName="frank", PolicyName="logs")
    assert got["PolicyDocument"] == READ_LOGS and got["UserName"] == "frank"
    assert iam.list_user_policies(UserName="frank")["PolicyNames"] == ["logs"]
    big = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"s3:Get{i:04d}" for i in range(200)],
                                                   "Resource": "*"}]}
    with pytest.raises(ClientError) as too_big:
        iam.put_user_policy(UserName="frank", PolicyName="big", PolicyDocument=json.dumps(big))
    assert error_of(too_big) == ("LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user frank", 409)
    with pytest.raises(ClientError) as missing:
        iam.get_user_policy(UserName="frank", PolicyName="nope")
    assert error_of(missing) == ("NoSuchEntity", "The user policy with name nope cannot be found.", 404)
    iam.delete_user_policy(UserName="frank", PolicyName="logs")
    assert iam.list_user_policies(UserName="frank")["PolicyNames"] == []


@pytest.mark.parametrize("document, message", [
    ("{not json", "This policy contains invalid Json"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}',
     "Policy statement must contain actions."),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}',
     "Policy statement must contain resources."),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}',
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ('{"Version": "2011-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}',
     "The policy failed legacy parsing"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", '
     '"Resource": "*"}]}', "Policy document should not specify a principal."),
    ('{"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}, '
     '{"Sid": "a", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}',
     "Statement IDs (SID) in a single policy must be unique."),
])
def test_malformed_policy_documents(shared_lab, document, message):
    """MalformedPolicyDocument (400) with IAM's messages; nothing is created.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"""
    before = shared_lab.sql("SELECT count(*) FROM iam_policies").fetchall()
    with pytest.raises(ClientError) as bad:
        shared_lab.client("iam").create_policy(PolicyName="Bad", PolicyDocument=document)
    assert error_of(bad) == ("MalformedPolicyDocument", message, 400)
    assert shared_lab.sql("SELECT count(*) FROM iam_policies").fetchall() == before
