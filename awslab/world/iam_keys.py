"""Long-term credentials: access keys, console passwords (login profiles), the password policy.

* Access keys: at most two per user (and two for the root); status Active or Inactive;
  creation and last-used date, service and region on the lab clock. Without ``UserName`` the
  operations act on the caller's own keys, the root's included ("Manage access keys"):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html
* Login profiles: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html
* Password policy, with the defaults the API applies to parameters left out:
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..identity import stable_id
from .iam_store import (already_exists, hash_password, limit_exceeded, no_such_entity, page, require_user,
                        secret_for)

MAX_KEYS = 2
ROOT = None  # the root's keys have no user name in iam_access_keys

POLICY_DEFAULTS: dict[str, Any] = {
    "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
    "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False, "MaxPasswordAge": 0, "PasswordReusePrevention": 0, "HardExpiry": False,
}
SYMBOLS = set("!@#$%^&*()_+-=[]{}|'")


def key_owner(call: Call, user_name: str | None) -> str | None:
    """The user whose keys an operation acts on: the named user, else the caller (None = root)."""
    if user_name is not None:
        return require_user(call.db, user_name)[0]
    if call.principal.kind == "Root":
        return ROOT
    if call.principal.kind == "IAMUser":
        return require_user(call.db, call.principal.name)[0]
    raise AWSError("ValidationError", "Must specify userName when calling with non-User credentials", 400)


def _key_row(call: Call, owner: str | None, key_id: str) -> tuple:
    row = call.db.execute("SELECT access_key_id, user_name, status, create_date FROM iam_access_keys "
                          "WHERE access_key_id = ? AND deleted_date IS NULL AND user_name IS NOT DISTINCT FROM ?",
                          [key_id, owner]).fetchone()
    if row is None:
        raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
    return row


def password_violations(password: str, policy: dict[str, Any]) -> list[str]:
    """The rules of the account password policy a password breaks (empty if it complies)."""
    broken = []
    if len(password) < policy["MinimumPasswordLength"]:
        broken.append(f"Password should have a minimum length of {policy['MinimumPasswordLength']}")
    if policy["RequireUppercaseCharacters"] and not re.search(r"[A-Z]", password):
        broken.append("Password should have at least one uppercase letter")
    if policy["RequireLowercaseCharacters"] and not re.search(r"[a-z]", password):
        broken.append("Password should have at least one lowercase letter")
    if policy["RequireNumbers"] and not re.search(r"[0-9]", password):
        broken.append("Password should have at least one number")
    if policy["RequireSymbols"] and not SYMBOLS & set(password):
        broken.append("Password should have at least one symbol")
    return broken


def current_password_policy(db) -> dict[str, Any] | None:
    row = db.execute("SELECT settings FROM iam_password_policy").fetchone()
    return None if row is None else json.loads(row[0])


class KeyHandlers:
    """Access keys, login profiles and the password policy (mixed into the IAM service)."""

    # ------------------------------------------------------------------ access keys
    def create_access_key(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        owner = key_owner(call, params.get("UserName"))
        live = call.db.execute("SELECT count(*) FROM iam_access_keys WHERE user_name IS NOT DISTINCT FROM ? "
                               "AND deleted_date IS NULL", [owner]).fetchone()[0]
        if live >= MAX_KEYS:
            raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}")
        issued = call.db.execute("SELECT count(*) FROM iam_access_keys").fetchone()[0]
        key_id = stable_id("AKIA", call.account_id, "access-key", owner or "root", str(issued), length=16)
        call.db.execute("INSERT INTO iam_access_keys VALUES (?,?,?,'Active',?,NULL,NULL,NULL,NULL)",
                        [key_id, secret_for(key_id), owner, call.time])
        key: dict[str, Any] = {"AccessKeyId": key_id, "Status": "Active", "SecretAccessKey": secret_for(key_id),
                               "CreateDate": call.time}
        if owner is not None:
            key = {"UserName": owner, **key}
        return {"AccessKey": key}

    def list_access_keys(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        owner = key_owner(call, params.get("UserName"))
        rows = call.db.execute("SELECT user_name, access_key_id, status, create_date FROM iam_access_keys "
                               "WHERE user_name IS NOT DISTINCT FROM ? AND deleted_date IS NULL "
                               "ORDER BY create_date, access_key_id", [owner]).fetchall()
        keys = []
        for user, key_id, status, created in rows:
            key = {"AccessKeyId": key_id, "Status": status, "CreateDate": created}
            keys.append({"UserName": user, **key} if user is not None else key)
        return page(keys, params, "AccessKeyMetadata")

    def update_access_key(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        owner = key_owner(call, params.get("UserName"))
        key_id = _key_row(call, owner, params["AccessKeyId"])[0]
        call.db.execute("UPDATE iam_access_keys SET status = ? WHERE access_key_id = ?", [params["Status"], key_id])
        return {}

    def delete_access_key(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        owner = key_owner(call, params.get("UserName"))
        key_id = _key_row(call, owner, params["AccessKeyId"])[0]
        call.db.execute("UPDATE iam_access_keys SET deleted_date = ? WHERE access_key_id = ?", [call.time, key_id])
        return {}

    def get_access_key_last_used(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = call.db.execute("SELECT user_name, last_used_date, last_used_service, last_used_region "
                              "FROM iam_access_keys WHERE access_key_id = ? AND deleted_date IS NULL",
                              [params["AccessKeyId"]]).fetchone()
        if row is None:
            raise no_such_entity(f"The Access Key with id {params['AccessKeyId']} cannot be found.")
        user, used, service, region = row
        last_used: dict[str, Any] = {"ServiceName": service or "N/A", "Region": region or "N/A"}
        if used is not None:
            last_used = {"LastUsedDate": used, **last_used}
        return {"UserName": user if user is not None else "root", "AccessKeyLastUsed": last_used}

    # ------------------------------------------------------------------ console passwords
    def _check_password(self, call: Call, password: str) -> None:
        policy = current_password_policy(call.db)
        if policy is not None and password_violations(password, policy):
            raise AWSError("PasswordPolicyViolation", "Password does not conform to the account password policy.", 400)

    def create_login_profile(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user = key_owner(call, params.get("UserName"))
        if user is None:
            raise AWSError("ValidationError", "Must specify userName when calling with non-User credentials", 400)
        if call.db.execute("SELECT count(*) FROM iam_login_profiles WHERE user_name = ?", [user]).fetchone()[0]:
            raise already_exists(f"Login Profile for user {user} already exists.")
        password = params.get("Password")
        if password is None:
            raise AWSError("ValidationError", "Password is required for creating a login profile.", 400)
        self._check_password(call, password)
        reset = bool(params.get("PasswordResetRequired", False))
        call.db.execute("INSERT INTO iam_login_profiles VALUES (?, ?, ?, ?)",
                        [user, hash_password(password), call.time, reset])
        return {"LoginProfile": {"UserName": user, "CreateDate": call.time, "PasswordResetRequired": reset}}

    def _profile(self, call: Call, user_name: str | None) -> tuple:
        user = key_owner(call, user_name)
        row = call.db.execute("SELECT user_name, create_date, password_reset_required FROM iam_login_profiles "
                              "WHERE user_name = ?", [user]).fetchone()
        if row is None:
            raise no_such_entity(f"Login Profile for User {user} cannot be found.")
        return row

    def get_login_profile(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user, created, reset = self._profile(call, params.get("UserName"))
        return {"LoginProfile": {"UserName": user, "CreateDate": created, "PasswordResetRequired": reset}}

    def update_login_profile(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user, _, reset = self._profile(call, params["UserName"])
        if "Password" in params:
            self._check_password(call, params["Password"])
            call.db.execute("UPDATE iam_login_profiles SET password_sha256 = ? WHERE user_name = ?",
                            [hash_password(params["Password"]), user])
        call.db.execute("UPDATE iam_login_profiles SET password_reset_required = ? WHERE user_name = ?",
                        [params.get("PasswordResetRequired", reset), user])
        return {}

    def delete_login_profile(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user = self._profile(call, params.get("UserName"))[0]
        call.db.execute("DELETE FROM iam_login_profiles WHERE user_name = ?", [user])
        return {}

    # ------------------------------------------------------------------ password policy
    def update_account_password_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        settings = {name: params.get(name, default) for name, default in POLICY_DEFAULTS.items()}
        call.db.execute("DELETE FROM iam_password_policy")
        call.db.execute("INSERT INTO iam_password_policy VALUES (?)", [json.dumps(settings)])
        return {}

    def get_account_password_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        settings = current_password_policy(call.db)
        if settings is None:
            raise no_such_entity(f"The Password Policy with domain name {call.account_id} cannot be found.")
        policy = {name: settings[name] for name in ("MinimumPasswordLength", "RequireSymbols", "RequireNumbers",
                                                    "RequireUppercaseCharacters", "RequireLowercaseCharacters",
                                                    "AllowUsersToChangePassword")}
        policy["ExpirePasswords"] = settings["MaxPasswordAge"] > 0
        if settings["MaxPasswordAge"]:
            policy["MaxPasswordAge"] = settings["MaxPasswordAge"]
        if settings["PasswordReusePrevention"]:
            policy["PasswordReusePrevention"] = settings["PasswordReusePrevention"]
        if settings["HardExpiry"]:
            policy["HardExpiry"] = True
        return {"PasswordPolicy": policy}

    def delete_account_password_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if current_password_policy(call.db) is None:
            raise no_such_entity(f"The Password Policy with domain name {call.account_id} cannot be found.")
        call.db.execute("DELETE FROM iam_password_policy")
        return {}
