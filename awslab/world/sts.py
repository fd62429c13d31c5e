"""The STS service: who am I, role sessions and MFA-backed session tokens.

* GetCallerIdentity: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
* AssumeRole: the role's trust policy must allow the caller (else ``AccessDenied``); the
  duration is 15 minutes to the role's maximum session duration, and at most one hour when a
  role session assumes a role (role chaining).
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
* GetSessionToken: only long-term credentials of a user or the root may call it; with an MFA
  serial number and code the session is MFA-authenticated (``aws:MultiFactorAuthPresent``);
  root sessions last at most one hour.
  https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html
* ``aws:MultiFactorAuthPresent`` is absent for long-term keys, "false" for temporary
  credentials obtained without MFA:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent

STS answers in the client's region (regional endpoints). Issued credentials sign lab clients
(``lab.client("s3", aws_access_key_id=..., aws_secret_access_key=..., aws_session_token=...)``)
as the session until they expire on the lab clock; then calls fail with ``ExpiredToken``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..identity import Principal, stable_id
from ..service import Service
from .iam_documents import parse_policy
from .iam_evaluation import Caller, RequestContext, evaluate
from .iam_records import amend_sts_record
from .iam_store import find_role, secret_for

SCHEMA = """
CREATE TABLE IF NOT EXISTS sts_sessions (
    access_key_id VARCHAR NOT NULL, secret_access_key VARCHAR NOT NULL, session_token VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, name VARCHAR NOT NULL, session_name VARCHAR, role_arn VARCHAR,
    mfa_authenticated BOOLEAN NOT NULL, created TIMESTAMPTZ NOT NULL, expiration TIMESTAMPTZ NOT NULL,
    region VARCHAR NOT NULL, source_identity VARCHAR)"""

SESSION_NAME = re.compile(r"^[\w+=,.@-]*$")
CHAINED_MAX = 3600
ROOT_MAX = 3600


def _caller_arn(principal: Principal) -> str:
    return principal.arn or principal.name


def _denied(principal: Principal, role_arn: str) -> AWSError:
    return AWSError("AccessDenied", f"User: {_caller_arn(principal)} is not authorized to perform: "
                    f"sts:AssumeRole on resource: {role_arn}", 403)


def _is_session(principal: Principal) -> bool:
    return principal.kind in ("AssumedRole", "FederatedUser") or (principal.access_key_id or "").startswith("ASIA")


def _mfa_code_ok(code: str | None) -> bool:
    return code is not None and re.fullmatch(r"\d{6}", code) is not None


class STSService(Service):
    answers = ("sts",)

    def setup(self) -> None:
        self.lab.db.execute(SCHEMA)
        self.lab.add_key_resolver(self.principal_for_key)

    def tables(self) -> dict[str, str]:
        return {"sts_sessions": "temporary credentials (ASIA…) issued by AssumeRole and GetSessionToken: "
                                "whose session, MFA-authenticated or not, created and expiring on the lab clock"}

    def principal_for_key(self, access_key_id: str) -> Principal | None:
        """The session behind temporary credentials STS issued (None for keys it did not issue)."""
        if not access_key_id.startswith("ASIA"):
            return None
        row = self.lab.db.execute("SELECT kind, name, session_name, mfa_authenticated, created, expiration "
                                  "FROM sts_sessions WHERE access_key_id = ?", [access_key_id]).fetchone()
        if row is None:
            return None
        kind, name, session, mfa, created, expiration = row
        if self.lab.now >= expiration:
            raise AWSError("ExpiredToken", "The security token included in the request is expired", 403)
        return Principal(kind, name, self.lab.account_id, session=session, access_key_id=access_key_id,
                         mfa_authenticated=mfa, session_created=created)

    def amend_record(self, call: Call, record: dict[str, Any], response: dict[str, Any] | None,
                     error: AWSError | None) -> None:
        amend_sts_record(call, record, response, error)

    # ------------------------------------------------------------------ operations
    def get_caller_identity(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        principal = call.principal
        return {"UserId": principal.principal_id, "Account": call.account_id, "Arn": _caller_arn(principal)}

    def get_access_key_info(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"Account": call.account_id}

    def assume_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        role_arn, session = params["RoleArn"], params["RoleSessionName"]
        if not SESSION_NAME.match(session):
            raise AWSError("ValidationError", f"1 validation error detected: Value '{session}' at 'roleSessionName' "
                           "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                           "[\\w+=,.@-]*", 400)
        fields = role_arn.split(":", 5)
        if len(fields) != 6 or fields[0] != "arn" or not fields[5].startswith("role/"):
            raise AWSError("ValidationError", f"{role_arn} is invalid", 400)
        if "Policy" in params:
            parse_policy(params["Policy"], "inline")
        role = find_role(call.db, fields[5].rsplit("/", 1)[-1]) if fields[4] == call.account_id else None
        if role is None or role[3] != role_arn:
            raise _denied(call.principal, role_arn)
        role_name, role_id, trust, max_session = role[0], role[1], role[5], role[7]
        mfa = call.principal.mfa_authenticated
        if "SerialNumber" in params or "TokenCode" in params:
            if not _mfa_code_ok(params.get("TokenCode")):
                raise AWSError("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
                               403)
            mfa = True
        if evaluate(json.loads(trust), self._trust_context(call, role_arn, session, mfa, params)) != "Allow":
            raise _denied(call.principal, role_arn)
        duration = params.get("DurationSeconds", 3600)
        if call.principal.kind == "AssumedRole" and duration > CHAINED_MAX:
            raise AWSError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                           "for roles assumed by role chaining.", 400)
        if duration > max_session:
            raise AWSError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set "
                           "for this role.", 400)
        credentials = self._issue(call, "AssumedRole", role_name, session, role_arn, mfa, duration,
                                  params.get("SourceIdentity"))
        response: dict[str, Any] = {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": f"{role_id}:{session}",
                                "Arn": f"arn:aws:sts::{call.account_id}:assumed-role/{role_name}/{session}"},
        }
        if "Policy" in params or "PolicyArns" in params or "Tags" in params:
            packed = len(params.get("Policy", "")) + 64 * len(params.get("PolicyArns", [])) \
                + 32 * len(params.get("Tags", []))
            response["PackedPolicySize"] = min(100, max(1, packed * 100 // 2048))
        if "SourceIdentity" in params:
            response["SourceIdentity"] = params["SourceIdentity"]
        return response

    def _trust_context(self, call: Call, role_arn: str, session: str, mfa: bool,
                       params: dict[str, Any]) -> RequestContext:
        principal = call.principal
        caller = Caller(kind=principal.kind, account_id=call.account_id, arn=principal.arn,
                        role_arn=(f"arn:aws:iam::{call.account_id}:role/{principal.name}"
                                  if principal.kind == "AssumedRole" else None),
                        service=principal.name if principal.kind == "AWSService" else None)
        keys: dict[str, list[Any]] = {"sts:RoleSessionName": [session], "aws:PrincipalAccount": [call.account_id],
                                      "aws:PrincipalType": [principal.kind], "aws:SecureTransport": ["true"]}
        if principal.arn:
            keys["aws:PrincipalArn"] = [caller.role_arn or principal.arn]
        if mfa:
            keys["aws:MultiFactorAuthPresent"] = ["true"]
        elif _is_session(principal):
            keys["aws:MultiFactorAuthPresent"] = ["false"]
        if "ExternalId" in params:
            keys["sts:ExternalId"] = [params["ExternalId"]]
        if "SourceIdentity" in params:
            keys["sts:SourceIdentity"] = [params["SourceIdentity"]]
        return RequestContext(action="sts:AssumeRole", resource=role_arn, caller=caller, keys=keys)

    def get_session_token(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        principal = call.principal
        if principal.kind not in ("IAMUser", "Root") or _is_session(principal):
            raise AWSError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
        duration = params.get("DurationSeconds", 43200)
        if principal.kind == "Root":
            duration = min(duration, ROOT_MAX)  # "defaults to one hour" for the root
        mfa = False
        if "SerialNumber" in params:
            owner = call.db.execute("SELECT user_name, root FROM iam_mfa_devices WHERE serial_number = ? "
                                    "AND (user_name IS NOT NULL OR root)", [params["SerialNumber"]]).fetchone()
            mine = owner is not None and (owner[1] if principal.kind == "Root" else
                                          (owner[0] or "").lower() == principal.name.lower())
            if not mine:
                raise AWSError("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. "
                               "Please verify your MFA serial number is valid and associated with this user.", 403)
            if not _mfa_code_ok(params.get("TokenCode")):
                raise AWSError("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass "
                               "code. ", 403)
            mfa = True
        return {"Credentials": self._issue(call, principal.kind, principal.name, None, None, mfa, duration, None)}

    def _issue(self, call: Call, kind: str, name: str, session: str | None, role_arn: str | None, mfa: bool,
               duration: int, source_identity: str | None) -> dict[str, Any]:
        issued = call.db.execute("SELECT count(*) FROM sts_sessions").fetchone()[0]
        key_id = stable_id("ASIA", call.account_id, "sts", str(issued), length=16)
        digest = hashlib.sha512(f"token/{key_id}".encode()).digest()
        token = "IQoJb3JpZ2luX2Vj" + base64.b64encode(digest * 3).decode()
        expiration = call.time + timedelta(seconds=duration)
        call.db.execute("INSERT INTO sts_sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        [key_id, secret_for(key_id), token, kind, name, session, role_arn, mfa, call.time,
                         expiration, call.region, source_identity])
        return {"AccessKeyId": key_id, "SecretAccessKey": secret_for(key_id), "SessionToken": token,
                "Expiration": expiration}
