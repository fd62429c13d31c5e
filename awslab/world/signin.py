"""Console sign-in: the ``ConsoleLogin`` (and ``CheckMfa``) records AWS writes when someone signs in.

Sign-in is not an API call a learner makes with boto3, so the lab offers it as
``lab.console_login(user, success=True, mfa=True, region=None)``; the records are published
on the hub's ``cloudtrail_event`` topic and CloudTrail stores and delivers them like any other.

Record shape ("AWS Management Console sign-in events", and real records in the shared
datasets): eventSource ``signin.amazonaws.com``, eventType ``AwsConsoleSignIn``,
``requestParameters`` null, ``responseElements.ConsoleLogin`` "Success" or "Failure",
``additionalEventData`` with ``LoginTo``, ``MobileVersion``, ``MFAIdentifier`` (when an MFA
device was used) and ``MFAUsed``; a failure adds ``errorMessage: "Failed authentication"``.
A failed IAM user sign-in carries no ARN and an empty ``accessKeyId``; a failed sign-in for a
user name the account does not have shows the name as ``HIDDEN_DUE_TO_SECURITY_REASONS``.
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html

Lab rules (documented choices): a successful sign-in needs an existing user with a console
password (the root always has one); ``mfa=True`` is taken at its word even if the user has no
MFA device enabled (``MFAIdentifier`` is written only for a successful sign-in with an enabled
device); a successful MFA sign-in is preceded by a ``CheckMfa`` record, as in the real logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..gateway import LAB_SOURCE_IP
from ..identity import Principal
from ..records import EVENT_VERSION
from .iam_store import find_user

if TYPE_CHECKING:
    from ..lab import Lab

BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Safari/537.36")
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"


def _login_to(region: str | None) -> str:
    if region is None:
        return "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true"
    return (f"https://{region}.console.aws.amazon.com/console/home?region={region}"
            "&state=hashArgs%23&isauthcode=true")


def _identity(lab: "Lab", user: str, row: tuple | None, *, success: bool) -> dict[str, Any]:
    account = lab.account_id
    if user == "root":
        return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                "accountId": account, "accessKeyId": ""}
    if row is None:
        return {"type": "IAMUser", "accountId": account, "accessKeyId": "", "userName": HIDDEN}
    name, uid, _, arn = row[:4]
    if success:
        return {"type": "IAMUser", "principalId": uid, "arn": arn, "accountId": account, "userName": name}
    return {"type": "IAMUser", "principalId": uid, "accountId": account, "accessKeyId": "", "userName": name}


def _record(lab: "Lab", event_name: str, identity: dict[str, Any], region: str | None,
            additional: dict[str, Any], response: dict[str, Any], error: str | None) -> dict[str, Any]:
    event_id, _ = lab.next_ids()
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": lab.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "signin.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region or "us-east-1",
        "sourceIPAddress": LAB_SOURCE_IP,
        "userAgent": BROWSER,
    }
    if error is not None:
        record["errorMessage"] = error
    record.update({
        "requestParameters": None,
        "responseElements": response,
        "additionalEventData": additional,
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": lab.account_id,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{region}.signin.aws.amazon.com" if region
                       else "signin.aws.amazon.com"},
    })
    return record


def console_login(lab: "Lab", user: str | Principal, success: bool = True, mfa: bool = True,
                  region: str | None = None) -> dict[str, Any]:
    """Record a console sign-in by ``user`` ("root" or an IAM user name); returns the ConsoleLogin record.

    Raises LookupError for a successful sign-in of a user the account does not have, and
    ValueError for a successful sign-in of a user without a console password.
    """
    name = user.name if isinstance(user, Principal) else user
    if isinstance(user, Principal) and user.kind == "Root":
        name = "root"
    if region is not None and region not in lab.regions:
        raise ValueError(f"the lab simulates the regions {', '.join(lab.regions)}; not {region}")
    db = lab.db
    row = None if name == "root" else find_user(db, name)
    if success and name != "root":
        if row is None:
            raise LookupError(f"there is no IAM user {name!r} in the lab's account")
        has_password = db.execute("SELECT count(*) FROM iam_login_profiles WHERE user_name = ?", [row[0]]).fetchone()[0]
        if not has_password:
            raise ValueError(f"{row[0]} has no console password: create one with iam.create_login_profile(...)")
    if name == "root":
        device = db.execute("SELECT serial_number FROM iam_mfa_devices WHERE root").fetchone()
    elif row is not None:
        device = db.execute("SELECT serial_number FROM iam_mfa_devices WHERE user_name = ? "
                            "ORDER BY enable_date LIMIT 1", [row[0]]).fetchone()
    else:
        device = None
    additional: dict[str, Any] = {"LoginTo": _login_to(region), "MobileVersion": "No"}
    if success and mfa and device is not None:
        additional["MFAIdentifier"] = device[0]
    additional["MFAUsed"] = "Yes" if mfa else "No"
    with lab.transaction():
        if success and mfa:
            check = _record(lab, "CheckMfa", _identity(lab, name, row, success=False), region,
                            {"MfaType": "Virtual MFA"}, {"CheckMfa": "Success"}, None)
            lab.hub.publish("cloudtrail_event", {"record": check})
        record = _record(lab, "ConsoleLogin", _identity(lab, name, row, success=success), region, additional,
                         {"ConsoleLogin": "Success" if success else "Failure"},
                         None if success else "Failed authentication")
        lab.hub.publish("cloudtrail_event", {"record": record})
        if success:
            if name == "root":
                db.execute("UPDATE iam_root SET password_last_used = ?", [lab.now])
            else:
                db.execute("UPDATE iam_users SET password_last_used = ? WHERE user_name = ?", [lab.now, row[0]])
    return record
