"""The IAM service: users, groups, roles, policies and credentials of the lab's one account.

IAM is global: it keeps one state whatever region a client names, and CloudTrail records its
calls in us-east-1 (``global_region``). The operations live in small mixins, one per topic:

* :mod:`.iam_users` users, groups, memberships, user tags;
* :mod:`.iam_roles` roles and trust policies;
* :mod:`.iam_policies` managed policies (versions, attachment) and inline policies;
* :mod:`.iam_keys` access keys, console passwords, the password policy;
* :mod:`.iam_mfa` virtual MFA devices, the account summary, the credential report.

Access keys IAM issues sign lab clients as their owner (``lab.client("s3",
aws_access_key_id=..., aws_secret_access_key=...)``); each call made with one of the account's
access keys updates that key's last-used date, service and region, and each call made by a
role session updates the role's last-used date and region.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#Using_RotateAccessKey
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..identity import Principal
from ..service import Service
from . import iam_store, signin
from .iam_keys import KeyHandlers
from .iam_mfa import MFAHandlers
from .iam_policies import PolicyHandlers
from .iam_records import amend_iam_record
from .iam_roles import RoleHandlers
from .iam_users import UserHandlers


def invalid_token() -> AWSError:
    return AWSError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


class IAMService(UserHandlers, RoleHandlers, PolicyHandlers, KeyHandlers, MFAHandlers, Service):
    answers = ("iam",)
    global_region = "us-east-1"

    def setup(self) -> None:
        self.lab.db.execute(iam_store.SCHEMA)
        iam_store.seed(self.lab.db, self.lab.account_id, self.lab.start, self.lab.default_principal.name)
        self._key_use: dict[str, tuple] = {}
        self._role_use: dict[str, tuple] = {}
        self.lab.hub.subscribe("api_call", self._on_api_call)
        self.lab.add_key_resolver(self.principal_for_key)
        self.lab.add_flusher(self.flush_last_used)
        # AWS Config's recorder takes an inventory of existing IAM resources (global, recorded in us-east-1)
        from . import iam_config
        self.lab.hub.subscribe("resource_inventory", lambda fact: fact["region"] != self.global_region or fact[
            "collect"].extend({**f, "region": fact["region"], "account_id": fact["account_id"], "time": fact["time"]}
                              for f in [*(iam_config.user_fact(self.lab.db, n, "created") for (n,) in self.lab.db.execute(
                                  "SELECT user_name FROM iam_users ORDER BY 1").fetchall()),
                                  *(iam_config.group_fact(self.lab.db, n, "created") for (n,) in self.lab.db.execute(
                                      "SELECT group_name FROM iam_groups ORDER BY 1").fetchall()),
                                  *(iam_config.role_fact(self.lab.db, n, "created") for (n,) in self.lab.db.execute(
                                      "SELECT role_name FROM iam_roles ORDER BY 1").fetchall()),
                                  *(iam_config.policy_fact(self.lab.db, a, "created") for (a,) in self.lab.db.execute(
                                      "SELECT arn FROM iam_policies WHERE NOT aws_managed ORDER BY 1").fetchall())]
                              if f is not None))

    def tables(self) -> dict[str, str]:
        return dict(iam_store.TABLES)

    # ------------------------------------------------------------------ credentials in use
    def principal_for_key(self, access_key_id: str) -> Principal | None:
        """The IAM user (or root) owning an access key IAM issued; None for keys it does not know.

        The lab's default key (the one every client signs with unless told otherwise) is left to
        the lab, so that ``lab.as_principal`` keeps working with default clients. An inactive or
        deleted key raises AWS's ``InvalidClientTokenId``.
        """
        if access_key_id == self.lab.default_principal.default_access_key_id or not access_key_id.startswith("AKIA"):
            return None
        row = self.lab.db.execute("SELECT user_name, status, deleted_date FROM iam_access_keys "
                                  "WHERE access_key_id = ?", [access_key_id]).fetchone()
        if row is None:
            return None
        user, status, deleted = row
        if deleted is not None or status != "Active":
            raise invalid_token()
        if user is None:
            return Principal("Root", "root", self.lab.account_id, access_key_id=access_key_id)
        return Principal("IAMUser", user, self.lab.account_id, access_key_id=access_key_id)

    def principal_for(self, principal: Principal) -> Principal:
        """Check a principal given to ``lab.as_principal`` against IAM, and complete it.

        An IAM user or role must exist (LookupError otherwise: a call cannot be made as someone
        the account does not have); a role session gets its creation date (now). The root and
        AWS service principals always exist.
        """
        db = self.lab.db
        if principal.kind == "IAMUser":
            row = iam_store.find_user(db, principal.name)
            if row is None:
                raise LookupError(f"there is no IAM user {principal.name!r} in the lab's account; create it "
                                  f"first (iam.create_user(UserName={principal.name!r}))")
            return dataclasses.replace(principal, name=row[0])
        if principal.kind == "AssumedRole":
            row = iam_store.find_role(db, principal.name)
            if row is None:
                raise LookupError(f"there is no IAM role {principal.name!r} in the lab's account; create it "
                                  f"first (iam.create_role(RoleName={principal.name!r}, ...))")
            return dataclasses.replace(principal, name=row[0], session_created=principal.session_created or self.lab.now)
        return principal

    def _on_api_call(self, fact: dict[str, Any]) -> None:
        """Note who used which key (or role) last; written by :meth:`flush_last_used` in one batch,
        so that tracking costs no query per call."""
        call: Call = fact["call"]
        principal = call.principal
        if principal.kind in ("IAMUser", "Root"):
            key = principal.access_key_id or principal.default_access_key_id
            self._key_use[key] = (call.time, call.event_source.split(".", 1)[0], call.region)
        elif principal.kind == "AssumedRole":
            self._role_use[principal.name.lower()] = (call.time, call.region)
        if call.operation == "AssumeRole" and fact.get("error") is None:
            role = call.params.get("RoleArn", "").rsplit("/", 1)[-1].lower()
            self._role_use[role] = (call.time, call.region)

    def handler(self, boto3_service: str, operation: str):
        self.flush_last_used()  # IAM reads last-used dates: write the pending ones first
        return super().handler(boto3_service, operation)

    def flush_last_used(self) -> None:
        """Write the pending last-used dates (run by ``lab.flush()`` and before IAM reads them)."""
        db = self.lab.db
        if self._key_use:
            db.executemany("UPDATE iam_access_keys SET last_used_date = ?, last_used_service = ?, "
                           "last_used_region = ? WHERE access_key_id = ? AND deleted_date IS NULL",
                           [(*use, key) for key, use in self._key_use.items()])
            self._key_use.clear()
        if self._role_use:
            db.executemany("UPDATE iam_roles SET last_used_date = ?, last_used_region = ? "
                           "WHERE lower(role_name) = ?", [(*use, role) for role, use in self._role_use.items()])
            self._role_use.clear()

    def console_login(self, user: str | Principal, success: bool = True, mfa: bool = True,
                      region: str | None = None) -> dict[str, Any]:
        """Sign ``user`` ("root" or an IAM user name) in to the console: see :mod:`.signin`."""
        return signin.console_login(self.lab, user, success=success, mfa=mfa, region=region)

    # ------------------------------------------------------------------ CloudTrail
    def amend_record(self, call: Call, record: dict[str, Any], response: dict[str, Any] | None,
                     error: AWSError | None) -> None:
        """IAM's own ways in CloudTrail (error-code suffix, Java dates, no secrets)."""
        amend_iam_record(call, record, response, error)
