"""Principals: who makes a call, and how CloudTrail writes them in ``userIdentity``.

See https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEFAULT_USER = "learner"
"""The IAM user every call is made as unless ``lab.as_principal`` says otherwise."""


def stable_id(prefix: str, *parts: str, length: int = 17) -> str:
    """A deterministic AWS-looking identifier (``AIDA…``, ``AKIA…``) derived from ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:length].replace("=", "A")


@dataclass(frozen=True)
class Principal:
    """A caller. ``kind`` is the CloudTrail ``userIdentity.type``.

    kinds: ``Root``, ``IAMUser``, ``AssumedRole`` (``name`` is the role, ``session`` the
    session name), ``FederatedUser`` and ``AWSService`` (``name`` is the service principal,
    e.g. ``monitoring.amazonaws.com``).
    """

    kind: str
    name: str
    account_id: str
    session: str | None = None
    access_key_id: str | None = None
    mfa_authenticated: bool = False
    session_created: datetime | None = None

    @classmethod
    def root(cls, account_id: str) -> "Principal":
        return cls("Root", "root", account_id)

    @classmethod
    def user(cls, name: str, account_id: str) -> "Principal":
        return cls("IAMUser", name, account_id)

    @classmethod
    def assumed_role(cls, role: str, session: str, account_id: str, **kw: Any) -> "Principal":
        return cls("AssumedRole", role, account_id, session=session, **kw)

    @classmethod
    def service(cls, service_principal: str, account_id: str) -> "Principal":
        return cls("AWSService", service_principal, account_id)

    @classmethod
    def parse(cls, spec: "str | Principal", account_id: str) -> "Principal":
        """A principal from a short spelling.

        ``"root"``; ``"alice"`` (IAM user); ``"role/Admin"`` or ``"role/Admin/session"``
        (assumed role); ``"service/monitoring.amazonaws.com"`` or any ``*.amazonaws.com``
        (AWS service); or an IAM user/role/root ARN.
        """
        if isinstance(spec, Principal):
            return spec
        if not isinstance(spec, str) or not spec:
            raise ValueError(f"not a principal: {spec!r}")
        if spec.startswith("arn:"):
            fields = spec.split(":", 5)
            if len(fields) != 6:
                raise ValueError(f"not a principal ARN: {spec!r}")
            account_id, resource = fields[4] or account_id, fields[5]
            if resource == "root":
                return cls.root(account_id)
            kind, _, rest = resource.partition("/")
            if kind == "user":
                return cls.user(rest.rsplit("/", 1)[-1], account_id)
            if kind in ("role", "assumed-role"):
                spec = f"role/{rest}"
            else:
                raise ValueError(f"not a principal ARN: {spec!r}")
        if spec == "root":
            return cls.root(account_id)
        if spec.endswith(".amazonaws.com") or spec.startswith("service/"):
            return cls.service(spec.removeprefix("service/"), account_id)
        if spec.startswith("role/"):
            parts = spec.split("/")
            role = parts[1]
            session = parts[2] if len(parts) > 2 else f"{role}-session"
            return cls.assumed_role(role, session, account_id)
        if "/" in spec or ":" in spec:
            raise ValueError(f"not a principal spelling: {spec!r}")
        return cls.user(spec, account_id)

    @property
    def arn(self) -> str | None:
        acct = self.account_id
        if self.kind == "Root":
            return f"arn:aws:iam::{acct}:root"
        if self.kind == "IAMUser":
            return f"arn:aws:iam::{acct}:user/{self.name}"
        if self.kind == "AssumedRole":
            return f"arn:aws:sts::{acct}:assumed-role/{self.name}/{self.session}"
        if self.kind == "FederatedUser":
            return f"arn:aws:sts::{acct}:federated-user/{self.name}"
        return None

    @property
    def principal_id(self) -> str:
        if self.kind == "Root":
            return self.account_id
        if self.kind == "IAMUser":
            return stable_id("AIDA", self.account_id, "user", self.name)
        if self.kind == "AssumedRole":
            return f"{stable_id('AROA', self.account_id, 'role', self.name)}:{self.session}"
        if self.kind == "FederatedUser":
            return f"{self.account_id}:{self.name}"
        return self.name

    @property
    def default_access_key_id(self) -> str:
        prefix = "ASIA" if self.kind in ("AssumedRole", "FederatedUser") else "AKIA"
        return stable_id(prefix, self.account_id, self.kind, self.name, self.session or "", length=16)

    def user_identity(self) -> dict[str, Any]:
        """The CloudTrail ``userIdentity`` element for a call made with this principal."""
        if self.kind == "AWSService":
            return {"type": "AWSService", "invokedBy": self.name}
        identity: dict[str, Any] = {
            "type": self.kind,
            "principalId": self.principal_id,
            "arn": self.arn,
            "accountId": self.account_id,
            "accessKeyId": self.access_key_id or self.default_access_key_id,
        }
        if self.kind == "IAMUser":
            identity["userName"] = self.name
        if self.kind == "AssumedRole":
            identity["sessionContext"] = {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": stable_id("AROA", self.account_id, "role", self.name),
                    "arn": f"arn:aws:iam::{self.account_id}:role/{self.name}",
                    "accountId": self.account_id,
                    "userName": self.name,
                },
                "webIdFederationData": {},
                "attributes": {
                    "creationDate": _iso(self.session_created),
                    "mfaAuthenticated": "true" if self.mfa_authenticated else "false",
                },
            }
        elif self.mfa_authenticated:
            identity["sessionContext"] = {
                "attributes": {"creationDate": _iso(self.session_created), "mfaAuthenticated": "true"}
            }
        return identity


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%SZ")
