"""Credentials: access keys (and who they sign as), console passwords, the password policy, MFA,
the account summary and the credential report."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from awslab.errors import AWSError


def error_of(excinfo) -> tuple[str, str, int]:
    if isinstance(excinfo.value, AWSError):  # raised while resolving credentials (see the report)
        return excinfo.value.code, excinfo.value.message, excinfo.value.status
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def iam(lab):
    client = lab.client("iam")
    client.create_user(UserName="alice")
    return client


def signed_with(lab, service, key, **kw):
    return lab.client(service, aws_access_key_id=key["AccessKeyId"],
                      aws_secret_access_key=key["SecretAccessKey"], **kw)


def test_two_access_keys_per_user(iam, lab):
    """LimitExceeded beyond two keys; keys are AKIA… ids with a 40-character secret.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"""
    first = iam.create_access_key(UserName="alice")["AccessKey"]
    assert first["AccessKeyId"].startswith("AKIA") and len(first["AccessKeyId"]) == 20
    assert len(first["SecretAccessKey"]) == 40 and first["Status"] == "Active" and first["CreateDate"] == lab.now
    iam.create_access_key(UserName="alice")
    with pytest.raises(ClientError) as third:
        iam.create_access_key(UserName="alice")
    assert error_of(third) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    iam.delete_access_key(UserName="alice", AccessKeyId=first["AccessKeyId"])
    iam.create_access_key(UserName="alice")  # a deleted key frees its place
    with pytest.raises(ClientError) as gone:
        iam.update_access_key(UserName="alice", AccessKeyId=first["AccessKeyId"], Status="Inactive")
    assert error_of(gone) == ("NoSuchEntity", f"The Access Key with id {first['AccessKeyId']} cannot be found.", 404)


def test_keys_sign_as_their_owner_and_record_last_use(iam, lab):
    """A client signed with a user's key calls as that user; each use sets the key's last-used
    date, service and region on the lab clock.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html"""
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    never = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert never["UserName"] == "alice"
    assert never["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    lab.advance(days=3)
    identity = signed_with(lab, "sts", key, region_name="eu-west-1").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/alice"
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used == {"LastUsedDate": lab.now, "ServiceName": "sts", "Region": "eu-west-1"}
    lab.flush()
    row = lab.db.execute("SELECT access_key_id, identity_user_name FROM cloudtrail_events "
                         "WHERE event_name = 'GetCallerIdentity'").fetchone()
    assert row == (key["AccessKeyId"], "alice")


def test_inactive_keys_are_refused(iam, lab):
    """An inactive key no longer authenticates: InvalidClientTokenId (403)."""
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises((ClientError, AWSError)) as refused:
        signed_with(lab, "s3", key).list_buckets()
    assert error_of(refused) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_root_access_keys_and_mfa_show_in_the_account_summary(iam, lab):
    """Without UserName, key operations act on the caller: for the root, its own keys.
    AccountAccessKeysPresent and AccountMFAEnabled report the root's.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html"""
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountAccessKeysPresent"], summary["AccountMFAEnabled"], summary["Users"]) == (0, 0, 2)
    assert summary["AccessKeysPerUserQuota"] == 2
    with lab.as_principal("root"):
        root_key = iam.create_access_key()["AccessKey"]
        assert "UserName" not in root_key
        assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [root_key["AccessKeyId"]]
    lab.service_for("iam").enable_root_mfa()
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountAccessKeysPresent"], summary["AccountMFAEnabled"]) == (1, 1)
    assert signed_with(lab, "sts", root_key).get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"


def test_login_profiles_and_the_password_policy(iam):
    """CreateLoginProfile obeys the account password policy (PasswordPolicyViolation); the policy
    takes the documented defaults for what is left out.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html"""
    with pytest.raises(ClientError) as none:
        iam.get_account_password_policy()
    assert error_of(none) == ("NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found.",
                              404)
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, MaxPasswordAge=90)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["RequireNumbers"] is False
    assert policy["ExpirePasswords"] is True and policy["MaxPasswordAge"] == 90
    with pytest.raises(ClientError) as weak:
        iam.create_login_profile(UserName="alice", Password="short")
    assert error_of(weak) == ("PasswordPolicyViolation", "Password does not conform to the account password policy.",
                              400)
    profile = iam.create_login_profile(UserName="alice", Password="long-enough-and-$ymbolic",
                                       PasswordResetRequired=True)["LoginProfile"]
    assert profile["PasswordResetRequired"] is True
    with pytest.raises(ClientError) as twice:
        iam.create_login_profile(UserName="alice", Password="long-enough-and-$ymbolic")
    assert error_of(twice) == ("EntityAlreadyExists", "Login Profile for user alice already exists.", 409)
    iam.delete_login_profile(UserName="alice")
    with pytest.raises(ClientError) as missing:
        iam.get_login_profile(UserName="alice")
    assert error_of(missing) == ("NoSuchEntity", "Login Profile for User alice cannot be found.", 404)


def test_virtual_mfa_devices(iam):
    """Create, enable (two six-digit codes), list, deactivate, delete a virtual MFA device.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html"""
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    serial = device["SerialNumber"]
    assert serial == "arn:aws:iam::123456789012:mfa/alice-phone" and device["Base32StringSeed"]
    with pytest.raises(ClientError) as bad_code:
        iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="12345a",
                              AuthenticationCode2="654321")
    assert error_of(bad_code) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["User"]["UserName"] == "alice"
    with pytest.raises(ClientError) as in_use:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(in_use) == ("DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.", 409)
    with pytest.raises(ClientError) as user_has_mfa:
        iam.delete_user(UserName="alice")
    assert error_of(user_has_mfa)[0] == "DeleteConflict"
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_credential_report(iam, lab):
    """GenerateCredentialReport then GetCredentialReport: one CSV row per user plus the root.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html"""
    with pytest.raises(ClientError) as none:
        iam.get_credential_report()
    assert error_of(none) == ("ReportNotPresent", "Credential report not present", 410)
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    lab.advance(days=100)
    signed_with(lab, "s3", key).list_buckets()
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"  # fresh for four hours
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv" and report["GeneratedTime"] == lab.now
    rows = {r["user"]: r for r in csv.DictReader(io.StringIO(report["Content"].decode()))}
    assert set(rows) == {"<root_account>", "alice", "learner"}
    assert rows["<root_account>"]["password_enabled"] == "not_supported"
    alice = rows["alice"]
    assert (alice["password_enabled"], alice["mfa_active"], alice["access_key_1_active"]) == ("false", "false", "true")
    assert alice["access_key_1_last_rotated"] == (lab.now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert alice["access_key_1_last_used_service"] == "s3" and alice["access_key_2_active"] == "false"
