"""IAM and STS calls in CloudTrail, and who ``lab.as_principal`` may name."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from awslab.identity import Principal
from awslab.world.iam_records import java_time

ACCOUNT = "123456789012"


def record_of(lab, name: str) -> dict:
    return json.loads(lab.sql("SELECT record FROM cloudtrail_events WHERE event_name = ? ORDER BY request_id",
                              [name]).fetchall()[-1][0])


def test_iam_is_global_and_logged_in_us_east_1(lab):
    """IAM calls from any region are logged in us-east-1 with eventSource iam.amazonaws.com.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html"""
    lab.client("iam", region_name="eu-west-1").create_user(UserName="alice")
    assert lab.client("iam", region_name="us-west-2").get_user(UserName="alice")
    record = record_of(lab, "CreateUser")
    assert (record["eventSource"], record["awsRegion"], record["readOnly"]) == ("iam.amazonaws.com", "us-east-1", False)
    assert record["requestParameters"] == {"userName": "alice"}
    assert record["responseElements"]["user"]["createDate"] == "Jan 1, 2026 12:00:00 AM"  # IAM's Java dates
    assert record_of(lab, "GetUser")["readOnly"] is True


def test_iam_errors_carry_the_exception_suffix(lab):
    """IAM writes NoSuchEntityException in CloudTrail where boto3 shows NoSuchEntity (real logs)."""
    with pytest.raises(ClientError):
        lab.client("iam").get_role(RoleName="ghost")
    record = record_of(lab, "GetRole")
    assert record["errorCode"] == "NoSuchEntityException"
    assert record["errorMessage"] == "The role with name ghost cannot be found."


def test_secrets_are_never_logged(lab):
    """No secret access key in CreateAccessKey's responseElements, no password in requestParameters."""
    iam = lab.client("iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_login_profile(UserName="alice", Password="Super-Secret-1")
    created = record_of(lab, "CreateAccessKey")
    assert created["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert "secretAccessKey" not in json.dumps(created) and key["SecretAccessKey"] not in json.dumps(created)
    profile = record_of(lab, "CreateLoginProfile")
    assert "Super-Secret-1" not in json.dumps(profile)
    assert profile["requestParameters"] == {"userName": "alice"}


def test_assume_role_record(lab):
    """AssumeRole is read-only, names the role in resources, logs credentials without the secret
    and with STS's expiration format (real records: shared datasets)."""
    iam = lab.client("iam")
    iam.create_role(RoleName="Audit", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}))
    credentials = lab.client("sts", region_name="eu-west-1").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Audit", RoleSessionName="review")["Credentials"]
    record = record_of(lab, "AssumeRole")
    assert record["eventSource"] == "sts.amazonaws.com" and record["awsRegion"] == "eu-west-1"
    assert record["readOnly"] is True
    assert record["resources"] == [{"accountId": ACCOUNT, "type": "AWS::IAM::Role",
                                    "ARN": f"arn:aws:iam::{ACCOUNT}:role/Audit"}]
    logged = record["responseElements"]["credentials"]
    assert logged == {"accessKeyId": credentials["AccessKeyId"], "sessionToken": credentials["SessionToken"],
                      "expiration": "Jan 1, 2026, 1:00:00 AM"}
    assert record["responseElements"]["assumedRoleUser"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Audit/review"


def test_java_time():
    from datetime import datetime, timezone
    instant = datetime(2023, 7, 10, 12, 23, 5, tzinfo=timezone.utc)
    assert java_time(instant) == "Jul 10, 2023 12:23:05 PM"
    assert java_time(instant.replace(hour=0, minute=31, second=14), comma=True) == "Jul 10, 2023, 12:31:14 AM"


def test_as_principal_checks_iam(lab):
    """``lab.as_principal`` may name only users and roles the account has (the root and AWS
    services always exist); a role session gets its creation time."""
    iam_service = lab.service_for("iam")
    with pytest.raises(LookupError):
        iam_service.principal_for(Principal.parse("ghost", ACCOUNT))
    with pytest.raises(LookupError):
        iam_service.principal_for(Principal.parse("role/Ghost", ACCOUNT))
    lab.client("iam").create_role(RoleName="Admin", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                "Action": "sts:AssumeRole"}]}))
    session = iam_service.principal_for(Principal.parse("role/admin/s1", ACCOUNT))
    assert (session.name, session.session, session.session_created) == ("Admin", "s1", lab.now)
    assert iam_service.principal_for(Principal.parse("root", ACCOUNT)).kind == "Root"
    assert iam_service.principal_for(Principal.parse("learner", ACCOUNT)).name == "learner"
    with lab.as_principal("role/Admin/s1"):
        arn = lab.client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s1"
