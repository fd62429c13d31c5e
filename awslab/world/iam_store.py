"""IAM's tables, the lab's starting account, and what every IAM operation shares.

IAM is global: one set of users, groups, roles and policies for the account, whatever region
a client names; CloudTrail logs its calls in us-east-1.
https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html

Names of users, groups, roles and policies are unique *without regard to case*
("you cannot create resources named both MyResource and myresource"):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names

The lab starts with the account root (no access keys, no MFA) and the learner's IAM user
(``learner`` by default: AdministratorAccess, a console password and one access key, the key
every lab client signs with unless told otherwise).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from ..errors import AWSError
from ..identity import Principal, stable_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS iam_users (
    user_name VARCHAR NOT NULL, user_id VARCHAR NOT NULL, path VARCHAR NOT NULL, arn VARCHAR NOT NULL,
    create_date TIMESTAMPTZ NOT NULL, password_last_used TIMESTAMPTZ, permissions_boundary VARCHAR,
    tags JSON NOT NULL);
CREATE TABLE IF NOT EXISTS iam_groups (
    group_name VARCHAR NOT NULL, group_id VARCHAR NOT NULL, path VARCHAR NOT NULL, arn VARCHAR NOT NULL,
    create_date TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS iam_group_members (group_name VARCHAR NOT NULL, user_name VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS iam_roles (
    role_name VARCHAR NOT NULL, role_id VARCHAR NOT NULL, path VARCHAR NOT NULL, arn VARCHAR NOT NULL,
    create_date TIMESTAMPTZ NOT NULL, assume_role_policy VARCHAR NOT NULL, description VARCHAR,
    max_session_duration INTEGER NOT NULL, permissions_boundary VARCHAR, tags JSON NOT NULL,
    last_used_date TIMESTAMPTZ, last_used_region VARCHAR);
CREATE TABLE IF NOT EXISTS iam_policies (
    arn VARCHAR NOT NULL, policy_name VARCHAR NOT NULL, policy_id VARCHAR NOT NULL, path VARCHAR NOT NULL,
    default_version_id VARCHAR NOT NULL, create_date TIMESTAMPTZ NOT NULL, update_date TIMESTAMPTZ NOT NULL,
    description VARCHAR, aws_managed BOOLEAN NOT NULL, tags JSON NOT NULL, next_version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS iam_policy_versions (
    policy_arn VARCHAR NOT NULL, version_id VARCHAR NOT NULL, document VARCHAR NOT NULL,
    create_date TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS iam_attached_policies (
    entity_type VARCHAR NOT NULL, entity_name VARCHAR NOT NULL, policy_arn VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS iam_inline_policies (
    entity_type VARCHAR NOT NULL, entity_name VARCHAR NOT NULL, policy_name VARCHAR NOT NULL,
    document VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS iam_access_keys (
    access_key_id VARCHAR NOT NULL, secret_access_key VARCHAR NOT NULL, user_name VARCHAR,
    status VARCHAR NOT NULL, create_date TIMESTAMPTZ NOT NULL, deleted_date TIMESTAMPTZ,
    last_used_date TIMESTAMPTZ, last_used_service VARCHAR, last_used_region VARCHAR);
CREATE TABLE IF NOT EXISTS iam_login_profiles (
    user_name VARCHAR NOT NULL, password_sha256 VARCHAR NOT NULL, create_date TIMESTAMPTZ NOT NULL,
    password_reset_required BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS iam_mfa_devices (
    serial_number VARCHAR NOT NULL, path VARCHAR NOT NULL, device_name VARCHAR NOT NULL,
    seed VARCHAR NOT NULL, create_date TIMESTAMPTZ NOT NULL, user_name VARCHAR, root BOOLEAN NOT NULL,
    enable_date TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS iam_password_policy (settings JSON NOT NULL);
CREATE TABLE IF NOT EXISTS iam_credential_reports (generated_time TIMESTAMPTZ NOT NULL, content VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS iam_root (password_last_used TIMESTAMPTZ);
"""

TABLES = {
    "iam_users": "IAM users: name, id (AIDA…), path, ARN, creation date, password last used, tags",
    "iam_groups": "IAM groups: name, id (AGPA…), path, ARN, creation date",
    "iam_group_members": "which IAM user is in which group",
    "iam_roles": "IAM roles: name, id (AROA…), trust policy, max session duration, last used",
    "iam_policies": "managed policies, AWS managed (arn:aws:iam::aws:policy/…) and customer managed",
    "iam_policy_versions": "the versions (v1, v2, …) of every managed policy, with their documents",
    "iam_attached_policies": "managed policies attached to users, groups and roles",
    "iam_inline_policies": "inline policies embedded in users, groups and roles",
    "iam_access_keys": "access keys (AKIA…) of users and of the root: status, creation, last use; "
                       "deleted keys keep a row with deleted_date",
    "iam_login_profiles": "console passwords (hashed) of IAM users",
    "iam_mfa_devices": "virtual MFA devices and whom they are enabled for (a user or the root)",
    "iam_password_policy": "the account password policy (at most one row)",
    "iam_credential_reports": "the last credential report generated (GenerateCredentialReport)",
    "iam_root": "the account root's console password use (one row)",
}

NAME_PATTERN = re.compile(r"^[\w+=,.@-]+$")
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy"


# ------------------------------------------------------------------ errors
def no_such_entity(message: str) -> AWSError:
    return AWSError("NoSuchEntity", message, 404)


def already_exists(message: str) -> AWSError:
    return AWSError("EntityAlreadyExists", message, 409)


def delete_conflict(message: str) -> AWSError:
    return AWSError("DeleteConflict", message, 409)


def limit_exceeded(message: str) -> AWSError:
    return AWSError("LimitExceeded", message, 409)


def check_name(value: str, member: str) -> None:
    """IAM names: ``[\\w+=,.@-]+`` (botocore checks only the length)."""
    if not NAME_PATTERN.match(value):
        raise AWSError("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", 400)


def check_path(value: str) -> None:
    if not (value == "/" or (value.startswith("/") and value.endswith("/") and "//" not in value)):
        raise AWSError("ValidationError", "The specified value for path is invalid. It must begin and end with / "
                       "and contain only alphanumeric characters and/or / characters.", 400)


# ------------------------------------------------------------------ ids and documents
def user_id(account_id: str, name: str) -> str:
    """The user's unique id: the same derivation as :attr:`Principal.principal_id`, so that
    CloudTrail's ``userIdentity.principalId`` and IAM's ``UserId`` agree."""
    return stable_id("AIDA", account_id, "user", name)


def role_id(account_id: str, name: str) -> str:
    return stable_id("AROA", account_id, "role", name)


def encode_document(text: str) -> str:
    """IAM returns policy documents URL-encoded; botocore decodes them into dicts."""
    return quote(text, safe="")


def tags_list(tags_json: str | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in json.loads(tags_json or "{}").items()]


def check_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    keys = [t["Key"] for t in tags]
    if len(set(k.lower() for k in keys)) != len(keys):
        raise AWSError("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    if len(tags) > 50:
        raise limit_exceeded("The number of tags has reached the maximum limit.")
    return {t["Key"]: t["Value"] for t in tags}


def page(items: list[Any], params: dict[str, Any], key: str) -> dict[str, Any]:
    """IAM's Marker/MaxItems paging (default 100 items a page)."""
    start = 0
    if params.get("Marker"):
        try:
            start = int(params["Marker"].removeprefix("m"))
        except ValueError:
            raise AWSError("ValidationError", "Invalid Marker.", 400) from None
    size = params.get("MaxItems") or 100
    chunk = items[start:start + size]
    response: dict[str, Any] = {key: chunk, "IsTruncated": start + size < len(items)}
    if response["IsTruncated"]:
        response["Marker"] = f"m{start + size}"
    return response


@lru_cache(maxsize=1)
def aws_managed_policies() -> list[dict[str, Any]]:
    """A selection of AWS managed policies with their published documents (snapshot kept in
    ``iam_aws_managed_policies.json``; AWS publishes them in the Managed Policy Reference:
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html)."""
    text = resources.files(__package__).joinpath("iam_aws_managed_policies.json").read_text()
    return json.loads(text)


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


# ------------------------------------------------------------------ the starting account
def seed(db, account_id: str, start: datetime, learner: str) -> None:
    """Fill an empty IAM: AWS managed policies and the learner's administrator user."""
    if db.execute("SELECT count(*) FROM iam_policies").fetchone()[0]:
        return
    rows, versions = _managed_rows(start)
    _insert_all(db, "iam_policies", rows)
    _insert_all(db, "iam_policy_versions", versions)
    db.execute("INSERT INTO iam_root VALUES (NULL)")
    learner_principal = Principal.user(learner, account_id)
    db.execute("INSERT INTO iam_users VALUES (?,?,'/',?,?,NULL,NULL,'{}')",
               [learner, user_id(account_id, learner), learner_principal.arn, start])
    db.execute("INSERT INTO iam_attached_policies VALUES ('user', ?, ?)",
               [learner, f"{AWS_POLICY_PREFIX}/AdministratorAccess"])
    db.execute("INSERT INTO iam_login_profiles VALUES (?, ?, ?, false)",
               [learner, hash_password("awslab-learner-password"), start])
    key = learner_principal.default_access_key_id
    db.execute("INSERT INTO iam_access_keys VALUES (?,?,?,'Active',?,NULL,NULL,NULL,NULL)",
               [key, secret_for(key), learner, start])


@lru_cache(maxsize=4)
def _managed_rows(start: datetime) -> tuple[list[tuple], list[tuple]]:
    """Rows of the AWS managed policies (computed once per start time: the documents are large)."""
    rows, versions = [], []
    for policy in aws_managed_policies():
        arn = f"{AWS_POLICY_PREFIX}{policy['Path']}{policy['PolicyName']}"
        created = datetime.fromisoformat(policy["CreateDate"])
        updated = max(min(datetime.fromisoformat(policy["UpdateDate"]), start), created)
        rows.append((arn, policy["PolicyName"], stable_id("ANPA", "aws", arn), policy["Path"],
                     policy["DefaultVersionId"], created, updated, None, True, "{}",
                     int(policy["DefaultVersionId"][1:]) + 1))
        versions.append((arn, policy["DefaultVersionId"], json.dumps(policy["Document"], indent=4), updated))
    return rows, versions


def _insert_all(db, table: str, rows: list[tuple]) -> None:
    """One INSERT for many rows (executemany would run one statement per row)."""
    width = len(rows[0])
    values = ", ".join("(" + ", ".join("?" * width) + ")" for _ in rows)
    db.execute(f"INSERT INTO {table} VALUES {values}", [value for row in rows for value in row])


def secret_for(access_key_id: str) -> str:
    """A deterministic 40-character secret for a key id (the lab never checks signatures)."""
    return hashlib.sha256(f"secret/{access_key_id}".encode()).hexdigest()[:40]


# ------------------------------------------------------------------ lookups
def find_user(db, name: str) -> tuple | None:
    return db.execute("SELECT user_name, user_id, path, arn, create_date, password_last_used, "
                      "permissions_boundary, tags FROM iam_users WHERE lower(user_name) = lower(?)",
                      [name]).fetchone()


def require_user(db, name: str) -> tuple:
    row = find_user(db, name)
    if row is None:
        raise no_such_entity(f"The user with name {name} cannot be found.")
    return row


def find_role(db, name: str) -> tuple | None:
    return db.execute("SELECT role_name, role_id, path, arn, create_date, assume_role_policy, description, "
                      "max_session_duration, permissions_boundary, tags, last_used_date, last_used_region "
                      "FROM iam_roles WHERE lower(role_name) = lower(?)", [name]).fetchone()


def require_role(db, name: str) -> tuple:
    row = find_role(db, name)
    if row is None:
        raise no_such_entity(f"The role with name {name} cannot be found.")
    return row


def find_group(db, name: str) -> tuple | None:
    return db.execute("SELECT group_name, group_id, path, arn, create_date FROM iam_groups "
                      "WHERE lower(group_name) = lower(?)", [name]).fetchone()


def require_group(db, name: str) -> tuple:
    row = find_group(db, name)
    if row is None:
        raise no_such_entity(f"The group with name {name} cannot be found.")
    return row


def find_policy(db, arn: str) -> tuple | None:
    return db.execute("SELECT arn, policy_name, policy_id, path, default_version_id, create_date, update_date, "
                      "description, aws_managed, tags, next_version FROM iam_policies WHERE arn = ?",
                      [arn]).fetchone()


def require_policy(db, arn: str) -> tuple:
    row = find_policy(db, arn)
    if row is None:
        raise no_such_entity(f"Policy {arn} was not found.")
    return row


def principal_exists(db, arn: str) -> bool:
    """Whether an IAM user or role ARN names an existing entity (trust and bucket policies)."""
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if kind == "user":
        return find_user(db, name) is not None
    if kind == "role":
        return find_role(db, name) is not None
    return True
