"""Console sign-in records (ConsoleLogin, CheckMfa), shaped like the real ones.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
Real records compared against: shared datasets (invictus-ir/aws_dataset, Stratus Red Team).
"""

from __future__ import annotations

import json

import pytest

ACCOUNT = "123456789012"


def console_login(lab, *args, **kwargs):
    login = getattr(lab, "console_login", None) or lab.service_for("iam").console_login
    return login(*args, **kwargs)


def stored(lab, event_name: str) -> list[dict]:
    return [json.loads(r) for (r,) in lab.sql("SELECT record FROM cloudtrail_events WHERE event_name = ? "
                                              "ORDER BY event_id", [event_name]).fetchall()]


def test_successful_iam_user_login_with_mfa(lab):
    iam = lab.client("iam")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Long-Password-1")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="234567")
    lab.advance(minutes=5)
    record = console_login(lab, "alice")
    assert record["eventSource"] == "signin.amazonaws.com" and record["eventName"] == "ConsoleLogin"
    assert (record["eventType"], record["readOnly"], record["managementEvent"]) == ("AwsConsoleSignIn", False, True)
    assert record["requestParameters"] is None and record["responseElements"] == {"ConsoleLogin": "Success"}
    assert record["userIdentity"] == {"type": "IAMUser", "principalId": iam.get_user(UserName="alice")["User"][
        "UserId"], "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "accountId": ACCOUNT, "userName": "alice"}
    assert record["additionalEventData"] == {
        "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
        "MobileVersion": "No", "MFAIdentifier": serial, "MFAUsed": "Yes"}
    assert record["eventTime"] == "2026-01-01T00:05:00Z" and record["awsRegion"] == "us-east-1"
    assert "errorMessage" not in record
    assert stored(lab, "ConsoleLogin") == [record]
    (check,) = stored(lab, "CheckMfa")
    assert check["responseElements"] == {"CheckMfa": "Success"} and check["userIdentity"]["accessKeyId"] == ""
    assert iam.get_user(UserName="alice")["User"]["PasswordLastUsed"] == lab.now


def test_failed_login_has_no_arn_and_failed_authentication(lab):
    """A failed IAM user sign-in: errorMessage "Failed authentication", no ARN, empty accessKeyId;
    an unknown user name is hidden."""
    lab.client("iam").create_user(UserName="bob")
    record = console_login(lab, "bob", success=False, mfa=False)
    assert record["errorMessage"] == "Failed authentication"
    assert record["responseElements"] == {"ConsoleLogin": "Failure"}
    assert "arn" not in record["userIdentity"] and record["userIdentity"]["accessKeyId"] == ""
    assert record["additionalEventData"]["MFAUsed"] == "No"
    unknown = console_login(lab, "mallory", success=False)
    assert unknown["userIdentity"]["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert stored(lab, "CheckMfa") == []
    lab.flush()
    assert lab.db.execute("SELECT count(*) FROM cloudtrail_events WHERE event_name = 'ConsoleLogin' "
                          "AND response_elements->>'ConsoleLogin' = 'Failure'").fetchone() == (2,)


def test_root_login_in_a_region(lab):
    """The root signs in as type Root with the account as principal; a regional sign-in is logged
    in that region."""
    record = console_login(lab, "root", mfa=False, region="eu-west-1")
    assert record["userIdentity"] == {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                      "accountId": ACCOUNT, "accessKeyId": ""}
    assert record["awsRegion"] == "eu-west-1"
    assert record["additionalEventData"]["LoginTo"].startswith("https://eu-west-1.console.aws.amazon.com/")
    assert record["tlsDetails"]["clientProvidedHostHeader"] == "eu-west-1.signin.aws.amazon.com"
    lab.flush()
    assert lab.db.execute("SELECT actor, identity_type FROM cloudtrail_events").fetchall() == [("root", "Root")]


def test_success_needs_a_user_with_a_password(lab):
    with pytest.raises(LookupError):
        console_login(lab, "nobody")
    lab.client("iam").create_user(UserName="nopass")
    with pytest.raises(ValueError):
        console_login(lab, "nopass")
    assert lab.sql("SELECT count(*) FROM cloudtrail_events WHERE event_source = 'signin.amazonaws.com'"
                   ).fetchall() == [(0,)]
    console_login(lab, "learner", mfa=False)  # the lab's own user has a console password
