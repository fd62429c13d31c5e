"""STS: GetCallerIdentity, AssumeRole (trust policy, durations, MFA) and GetSessionToken."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab.errors import AWSError

ACCOUNT = "123456789012"


def error_of(excinfo) -> tuple[str, str, int]:
    if isinstance(excinfo.value, AWSError):
        return excinfo.value.code, excinfo.value.message, excinfo.value.status
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def trust(principal, condition=None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def session_client(lab, service, credentials, **kw):
    return lab.client(service, aws_access_key_id=credentials["AccessKeyId"],
                      aws_secret_access_key=credentials["SecretAccessKey"],
                      aws_session_token=credentials["SessionToken"], **kw)


@pytest.fixture
def iam(lab):
    client = lab.client("iam")
    client.create_role(RoleName="Admin", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
                       MaxSessionDuration=7200)
    return client


def test_get_caller_identity(lab):
    """https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"""
    sts = lab.client("sts")
    me = sts.get_caller_identity()
    assert me == {**me, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/learner"}
    assert me["UserId"].startswith("AIDA")
    with lab.as_principal("root"):
        assert sts.get_caller_identity()["UserId"] == ACCOUNT


def test_assume_role_credentials_call_as_the_session(lab, iam):
    """AssumeRole returns temporary credentials (ASIA…) that call as the role session; CloudTrail
    shows an AssumedRole identity with its session issuer.
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"""
    result = lab.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Admin", RoleSessionName="audit")
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and credentials["Expiration"] == lab.now.replace(hour=1)
    role_id = iam.get_role(RoleName="Admin")["Role"]["RoleId"]
    assert result["AssumedRoleUser"] == {"AssumedRoleId": f"{role_id}:audit",
                                         "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/audit"}
    session_sts = session_client(lab, "sts", credentials)
    assert session_sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/audit"
    session_client(lab, "s3", credentials).list_buckets()
    lab.flush()
    identity = json.loads(lab.db.execute("SELECT record->>'userIdentity' FROM cloudtrail_events "
                                         "WHERE event_name = 'ListBuckets'").fetchone()[0])
    assert identity["type"] == "AssumedRole" and identity["accessKeyId"] == credentials["AccessKeyId"]
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role/Admin"
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert iam.get_role(RoleName="Admin")["Role"]["RoleLastUsed"]["LastUsedDate"] == lab.now
    lab.advance(hours=1)
    with pytest.raises((ClientError, AWSError)) as expired:
        session_sts.get_caller_identity()
    assert error_of(expired) == ("ExpiredToken", "The security token included in the request is expired", 403)


def test_trust_policy_decides(lab, iam):
    """The role's trust policy must allow the caller, else AccessDenied (403) naming both ARNs."""
    iam.create_user(UserName="bob")
    iam.create_role(RoleName="OnlyAlice", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/alice"}}))
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = lab.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        bob.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/OnlyAlice", RoleSessionName="try")
    assert error_of(denied) == ("AccessDenied", f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: "
                                f"sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/OnlyAlice", 403)
    with pytest.raises(ClientError) as no_role:
        bob.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Nope", RoleSessionName="try")
    assert error_of(no_role)[0] == "AccessDenied"
    assert lab.sql("SELECT count(*) FROM sts_sessions").fetchall() == [(0,)]


def test_durations_and_role_chaining(lab, iam):
    """Durations up to the role's MaxSessionDuration; one hour at most when chaining roles."""
    sts = lab.client("sts")
    arn = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    with pytest.raises(ClientError) as too_long:
        sts.assume_role(RoleArn=arn, RoleSessionName="long", DurationSeconds=7201)
    assert error_of(too_long) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration "
                                  "set for this role.", 400)
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName="long", DurationSeconds=7200)["Credentials"]
    chained = session_client(lab, "sts", credentials)
    with pytest.raises(ClientError) as chain:
        chained.assume_role(RoleArn=arn, RoleSessionName="chain", DurationSeconds=3601)
    assert error_of(chain)[0] == "ValidationError" and "role chaining" in error_of(chain)[1]
    chained.assume_role(RoleArn=arn, RoleSessionName="chain")
    with pytest.raises(ClientError) as bad_name:
        sts.assume_role(RoleArn=arn, RoleSessionName="has space")
    assert error_of(bad_name)[0] == "ValidationError"


def test_session_tokens_carry_mfa(lab, iam):
    """GetSessionToken with an MFA device makes an MFA-authenticated session that satisfies
    aws:MultiFactorAuthPresent; session credentials cannot call GetSessionToken again.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html"""
    iam.create_user(UserName="alice")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="111111",
                          AuthenticationCode2="222222")
    iam.create_role(RoleName="NeedsMFA", AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = lab.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    role = f"arn:aws:iam::{ACCOUNT}:role/NeedsMFA"
    with pytest.raises(ClientError):
        alice.assume_role(RoleArn=role, RoleSessionName="no-mfa")
    with pytest.raises(ClientError) as wrong_device:
        alice.get_session_token(SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/other", TokenCode="123456")
    assert error_of(wrong_device)[0] == "AccessDenied"
    credentials = alice.get_session_token(SerialNumber=serial, TokenCode="123456")["Credentials"]
    assert credentials["Expiration"] == lab.now.replace(hour=12)  # default 12 hours
    with_mfa = session_client(lab, "sts", credentials)
    assert with_mfa.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assumed = with_mfa.assume_role(RoleArn=role, RoleSessionName="with-mfa")["Credentials"]
    session_client(lab, "sts", assumed).get_caller_identity()
    lab.flush()
    flags = lab.db.execute("SELECT identity_type, mfa_authenticated FROM cloudtrail_events "
                           "WHERE event_name = 'GetCallerIdentity' ORDER BY request_id").fetchall()
    assert sorted(flags) == [("AssumedRole", True), ("IAMUser", True)]
    with pytest.raises(ClientError) as again:
        with_mfa.get_session_token()
    assert error_of(again) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_issued_credentials_work_with_as_principal(lab, iam):
    """The session behind STS credentials can be handed to ``lab.as_principal``."""
    credentials = lab.client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Admin",
                                                RoleSessionName="handover")["Credentials"]
    session = lab.service_for("sts").principal_for_key(credentials["AccessKeyId"])
    with lab.as_principal(session):
        arn = lab.client("sts").get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/handover"
    assert session.access_key_id == credentials["AccessKeyId"] and session.session_created == lab.now


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role_arn=st.text(min_size=20, max_size=60), session=st.text(min_size=2, max_size=20))
def test_assume_role_arguments_fuzz(shared_sts, role_arn, session):
    """Fuzz: any RoleArn / RoleSessionName gets STS's AccessDenied or ValidationError."""
    try:
        shared_sts.assume_role(RoleArn=role_arn, RoleSessionName=session)
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("AccessDenied", "ValidationError")
    else:
        raise AssertionError("no role exists: AssumeRole cannot succeed")


@pytest.fixture(scope="module")
def shared_sts():
    from awslab import Lab
    lab = Lab(strict=True)
    yield lab.client("sts")
    lab.close()
