"""Managed policies (versions, attachment) and inline policies of users, groups and roles.

API reference: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html,
…/API_CreatePolicyVersion.html, …/API_AttachUserPolicy.html, …/API_PutUserPolicy.html.
Quotas: five versions per managed policy, ten managed policies attached per user, group or
role, inline policy text per entity 2,048 (user), 5,120 (group) and 10,240 (role) characters:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ..errors import AWSError
from ..gateway import Call
from ..identity import stable_id
from . import iam_config
from .iam_documents import parse_policy, policy_size
from .iam_store import (AWS_POLICY_PREFIX, already_exists, check_name, check_path, check_tags, delete_conflict,
                        encode_document, find_policy, limit_exceeded, no_such_entity, page, require_group,
                        require_policy, require_role, require_user, tags_list)

MAX_VERSIONS = 5
MAX_ATTACHED = 10
INLINE_SIZE = {"user": 2048, "group": 5120, "role": 10240}
_REQUIRE: dict[str, Callable] = {"user": require_user, "group": require_group, "role": require_role}
_FACT: dict[str, Callable] = {"user": iam_config.user_fact, "group": iam_config.group_fact,
                              "role": iam_config.role_fact}
_QUOTA = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}


def policy_shape(row: tuple, attachments: int, *, with_description: bool = False) -> dict[str, Any]:
    arn, name, pid, path, default_version, created, updated, description, _, tags, _ = row
    policy: dict[str, Any] = {"PolicyName": name, "PolicyId": pid, "Arn": arn, "Path": path,
                              "DefaultVersionId": default_version, "AttachmentCount": attachments,
                              "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                              "CreateDate": created, "UpdateDate": updated}
    if with_description and description:
        policy["Description"] = description
    if tags_list(tags):
        policy["Tags"] = tags_list(tags)
    return policy


def _attachments(db, arn: str) -> int:
    return db.execute("SELECT count(*) FROM iam_attached_policies WHERE policy_arn = ?", [arn]).fetchone()[0]


def _refuse_aws_managed(call: Call, arn: str, action: str) -> None:
    if arn.startswith(AWS_POLICY_PREFIX):
        raise AWSError("AccessDenied", f"User: {call.principal.arn} is not authorized to perform: iam:{action} "
                       f"on resource: policy {arn}", 403)


class PolicyHandlers:
    """Managed and inline policies (mixed into :class:`~awslab.world.iam.IAMService`)."""

    # ------------------------------------------------------------------ managed policies
    def create_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["PolicyName"], params.get("Path", "/")
        check_name(name, "policyName")
        check_path(path)
        parse_policy(params["PolicyDocument"], "managed")
        arn = f"arn:aws:iam::{call.account_id}:policy{path}{name}"
        clash = call.db.execute("SELECT count(*) FROM iam_policies WHERE NOT aws_managed AND "
                                "lower(policy_name) = lower(?)", [name]).fetchone()[0]
        if clash:
            raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
        tags = check_tags(params.get("Tags", []))
        call.db.execute("INSERT INTO iam_policies VALUES (?,?,?,?,'v1',?,?,?,false,?,2)",
                        [arn, name, stable_id("ANPA", call.account_id, "policy", arn), path, call.time, call.time,
                         params.get("Description"), json.dumps(tags)])
        call.db.execute("INSERT INTO iam_policy_versions VALUES (?, 'v1', ?, ?)",
                        [arn, params["PolicyDocument"], call.time])
        iam_config.publish(call, iam_config.policy_fact(call.db, arn, "created"))
        return {"Policy": policy_shape(find_policy(call.db, arn), 0)}

    def get_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_policy(call.db, params["PolicyArn"])
        return {"Policy": policy_shape(row, _attachments(call.db, row[0]), with_description=True)}

    def list_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        scope = params.get("Scope", "All")
        rows = call.db.execute(
            "SELECT p.arn, p.policy_name, p.policy_id, p.path, p.default_version_id, p.create_date, p.update_date, "
            "p.description, p.aws_managed, p.tags, p.next_version, "
            "(SELECT count(*) FROM iam_attached_policies a WHERE a.policy_arn = p.arn) AS attachments "
            "FROM iam_policies p WHERE starts_with(p.path, ?) AND (? = 'All' OR p.aws_managed = (? = 'AWS')) "
            "ORDER BY lower(p.policy_name)", [params.get("PathPrefix", "/"), scope, scope]).fetchall()
        if params.get("OnlyAttached"):
            rows = [r for r in rows if r[11]]
        return page([policy_shape(r[:11], r[11]) for r in rows], params, "Policies")

    def delete_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = require_policy(call.db, params["PolicyArn"])[0]
        _refuse_aws_managed(call, arn, "DeletePolicy")
        if _attachments(call.db, arn):
            raise delete_conflict("Cannot delete a policy attached to entities.")
        versions = call.db.execute("SELECT count(*) FROM iam_policy_versions WHERE policy_arn = ?", [arn]).fetchone()[0]
        if versions > 1:
            raise delete_conflict("This policy has more than one version. Before you delete a policy, you must "
                                  "delete the policy's versions. The default version is deleted with the policy.")
        fact = iam_config.policy_fact(call.db, arn, "deleted")
        call.db.execute("DELETE FROM iam_policy_versions WHERE policy_arn = ?", [arn])
        call.db.execute("DELETE FROM iam_policies WHERE arn = ?", [arn])
        iam_config.publish(call, fact)
        return {}

    def create_policy_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_policy(call.db, params["PolicyArn"])
        arn, next_version = row[0], row[10]
        _refuse_aws_managed(call, arn, "CreatePolicyVersion")
        parse_policy(params["PolicyDocument"], "managed")
        count = call.db.execute("SELECT count(*) FROM iam_policy_versions WHERE policy_arn = ?", [arn]).fetchone()[0]
        if count >= MAX_VERSIONS:
            raise limit_exceeded("A managed policy can have up to 5 versions. Before you create a new version, "
                                 "you must delete an existing version.")
        version = f"v{next_version}"
        call.db.execute("INSERT INTO iam_policy_versions VALUES (?, ?, ?, ?)",
                        [arn, version, params["PolicyDocument"], call.time])
        default = bool(params.get("SetAsDefault"))
        call.db.execute("UPDATE iam_policies SET next_version = next_version + 1, update_date = ?, "
                        "default_version_id = CASE WHEN ? THEN ? ELSE default_version_id END WHERE arn = ?",
                        [call.time, default, version, arn])
        iam_config.publish(call, iam_config.policy_fact(call.db, arn, "updated"))
        return {"PolicyVersion": {"VersionId": version, "IsDefaultVersion": default, "CreateDate": call.time}}

    def _version(self, call: Call, arn: str, version: str) -> tuple:
        found = call.db.execute("SELECT version_id, document, create_date FROM iam_policy_versions "
                                "WHERE policy_arn = ? AND version_id = ?", [arn, version]).fetchone()
        if found is None:
            raise no_such_entity(f"Policy {arn} version {version} does not exist or is not attachable.")
        return found

    def get_policy_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_policy(call.db, params["PolicyArn"])
        version, document, created = self._version(call, row[0], params["VersionId"])
        return {"PolicyVersion": {"Document": encode_document(document), "VersionId": version,
                                  "IsDefaultVersion": version == row[4], "CreateDate": created}}

    def list_policy_versions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_policy(call.db, params["PolicyArn"])
        versions = call.db.execute("SELECT version_id, create_date FROM iam_policy_versions WHERE policy_arn = ? "
                                   "ORDER BY create_date DESC, version_id DESC", [row[0]]).fetchall()
        return page([{"VersionId": v, "IsDefaultVersion": v == row[4], "CreateDate": c} for v, c in versions],
                    params, "Versions")

    def delete_policy_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_policy(call.db, params["PolicyArn"])
        _refuse_aws_managed(call, row[0], "DeletePolicyVersion")
        version = self._version(call, row[0], params["VersionId"])[0]
        if version == row[4]:
            raise delete_conflict("Cannot delete the default version of a policy.")
        call.db.execute("DELETE FROM iam_policy_versions WHERE policy_arn = ? AND version_id = ?", [row[0], version])
        iam_config.publish(call, iam_config.policy_fact(call.db, row[0], "updated"))
        return {}

    def set_default_policy_version(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_policy(call.db, params["PolicyArn"])
        _refuse_aws_managed(call, row[0], "SetDefaultPolicyVersion")
        version = self._version(call, row[0], params["VersionId"])[0]
        call.db.execute("UPDATE iam_policies SET default_version_id = ?, update_date = ? WHERE arn = ?",
                        [version, call.time, row[0]])
        iam_config.publish(call, iam_config.policy_fact(call.db, row[0], "updated"))
        return {}

    # ------------------------------------------------------------------ attachment
    def _attach(self, call: Call, entity_type: str, entity: str, arn: str) -> dict[str, Any]:
        name = _REQUIRE[entity_type](call.db, entity)[0]
        if find_policy(call.db, arn) is None:
            raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
        attached = call.db.execute("SELECT policy_arn FROM iam_attached_policies WHERE entity_type = ? "
                                   "AND entity_name = ?", [entity_type, name]).fetchall()
        if (arn,) in attached:
            return {}
        if len(attached) >= MAX_ATTACHED:
            raise limit_exceeded(f"Cannot exceed quota for {_QUOTA[entity_type]}: {MAX_ATTACHED}")
        call.db.execute("INSERT INTO iam_attached_policies VALUES (?, ?, ?)", [entity_type, name, arn])
        iam_config.publish(call, _FACT[entity_type](call.db, name, "updated"))
        iam_config.publish(call, iam_config.policy_fact(call.db, arn, "updated"))
        return {}

    def _detach(self, call: Call, entity_type: str, entity: str, arn: str) -> dict[str, Any]:
        name = _REQUIRE[entity_type](call.db, entity)[0]
        removed = call.db.execute("DELETE FROM iam_attached_policies WHERE entity_type = ? AND entity_name = ? "
                                  "AND policy_arn = ? RETURNING 1", [entity_type, name, arn]).fetchall()
        if not removed:
            raise no_such_entity(f"Policy {arn} was not found.")
        iam_config.publish(call, _FACT[entity_type](call.db, name, "updated"))
        iam_config.publish(call, iam_config.policy_fact(call.db, arn, "updated"))
        return {}

    def _list_attached(self, call: Call, entity_type: str, entity: str, params: dict[str, Any]) -> dict[str, Any]:
        name = _REQUIRE[entity_type](call.db, entity)[0]
        rows = call.db.execute("SELECT p.policy_name, p.arn FROM iam_attached_policies a JOIN iam_policies p "
                               "ON p.arn = a.policy_arn WHERE a.entity_type = ? AND a.entity_name = ? "
                               "AND starts_with(p.path, ?) ORDER BY lower(p.policy_name)",
                               [entity_type, name, params.get("PathPrefix", "/")]).fetchall()
        return page([{"PolicyName": n, "PolicyArn": a} for n, a in rows], params, "AttachedPolicies")

    def attach_user_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach(call, "user", params["UserName"], params["PolicyArn"])

    def attach_group_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach(call, "group", params["GroupName"], params["PolicyArn"])

    def attach_role_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._attach(call, "role", params["RoleName"], params["PolicyArn"])

    def detach_user_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach(call, "user", params["UserName"], params["PolicyArn"])

    def detach_group_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach(call, "group", params["GroupName"], params["PolicyArn"])

    def detach_role_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._detach(call, "role", params["RoleName"], params["PolicyArn"])

    def list_attached_user_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(call, "user", params["UserName"], params)

    def list_attached_group_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(call, "group", params["GroupName"], params)

    def list_attached_role_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(call, "role", params["RoleName"], params)

    def list_entities_for_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = require_policy(call.db, params["PolicyArn"])[0]
        wanted = params.get("EntityFilter")
        rows = call.db.execute(
            "SELECT a.entity_type, a.entity_name, coalesce(u.user_id, g.group_id, r.role_id) FROM iam_attached_policies a "
            "LEFT JOIN iam_users u ON a.entity_type = 'user' AND u.user_name = a.entity_name "
            "LEFT JOIN iam_groups g ON a.entity_type = 'group' AND g.group_name = a.entity_name "
            "LEFT JOIN iam_roles r ON a.entity_type = 'role' AND r.role_name = a.entity_name "
            "WHERE a.policy_arn = ? ORDER BY a.entity_type, lower(a.entity_name)", [arn]).fetchall()
        response: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], "IsTruncated": False}
        for entity_type, name, entity_id in rows:
            if wanted and wanted.lower() != entity_type:
                continue
            key = {"user": "PolicyUsers", "group": "PolicyGroups", "role": "PolicyRoles"}[entity_type]
            label = entity_type.capitalize()
            response[key].append({f"{label}Name": name, f"{label}Id": entity_id})
        return response

    # ------------------------------------------------------------------ inline policies
    def _put_inline(self, call: Call, entity_type: str, entity: str, params: dict[str, Any]) -> dict[str, Any]:
        name = _REQUIRE[entity_type](call.db, entity)[0]
        policy_name, document = params["PolicyName"], params["PolicyDocument"]
        check_name(policy_name, "policyName")
        parse_policy(document, "inline")
        others = call.db.execute("SELECT document FROM iam_inline_policies WHERE entity_type = ? AND entity_name = ? "
                                 "AND lower(policy_name) <> lower(?)", [entity_type, name, policy_name]).fetchall()
        if sum(policy_size(d) for (d,) in others) + policy_size(document) > INLINE_SIZE[entity_type]:
            raise limit_exceeded(f"Maximum policy size of {INLINE_SIZE[entity_type]} bytes exceeded for "
                                 f"{entity_type} {name}")
        call.db.execute("DELETE FROM iam_inline_policies WHERE entity_type = ? AND entity_name = ? "
                        "AND lower(policy_name) = lower(?)", [entity_type, name, policy_name])
        call.db.execute("INSERT INTO iam_inline_policies VALUES (?, ?, ?, ?)", [entity_type, name, policy_name, document])
        iam_config.publish(call, _FACT[entity_type](call.db, name, "updated"))
        return {}

    def _inline_row(self, call: Call, entity_type: str, entity: str, policy_name: str) -> tuple[str, str, str]:
        name = _REQUIRE[entity_type](call.db, entity)[0]
        row = call.db.execute("SELECT policy_name, document FROM iam_inline_policies WHERE entity_type = ? AND "
                              "entity_name = ? AND lower(policy_name) = lower(?)",
                              [entity_type, name, policy_name]).fetchone()
        if row is None:
            raise no_such_entity(f"The {entity_type} policy with name {policy_name} cannot be found.")
        return name, row[0], row[1]

    def _get_inline(self, call: Call, entity_type: str, entity: str, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_name, document = self._inline_row(call, entity_type, entity, params["PolicyName"])
        return {f"{entity_type.capitalize()}Name": name, "PolicyName": policy_name,
                "PolicyDocument": encode_document(document)}

    def _delete_inline(self, call: Call, entity_type: str, entity: str, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_name, _ = self._inline_row(call, entity_type, entity, params["PolicyName"])
        call.db.execute("DELETE FROM iam_inline_policies WHERE entity_type = ? AND entity_name = ? AND policy_name = ?",
                        [entity_type, name, policy_name])
        iam_config.publish(call, _FACT[entity_type](call.db, name, "updated"))
        return {}

    def _list_inline(self, call: Call, entity_type: str, entity: str, params: dict[str, Any]) -> dict[str, Any]:
        name = _REQUIRE[entity_type](call.db, entity)[0]
        rows = call.db.execute("SELECT policy_name FROM iam_inline_policies WHERE entity_type = ? AND entity_name = ? "
                               "ORDER BY lower(policy_name)", [entity_type, name]).fetchall()
        return page([n for (n,) in rows], params, "PolicyNames")

    def put_user_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(call, "user", params["UserName"], params)

    def put_group_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(call, "group", params["GroupName"], params)

    def put_role_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(call, "role", params["RoleName"], params)

    def get_user_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(call, "user", params["UserName"], params)

    def get_group_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(call, "group", params["GroupName"], params)

    def get_role_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(call, "role", params["RoleName"], params)

    def delete_user_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(call, "user", params["UserName"], params)

    def delete_group_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(call, "group", params["GroupName"], params)

    def delete_role_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(call, "role", params["RoleName"], params)

    def list_user_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(call, "user", params["UserName"], params)

    def list_group_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(call, "group", params["GroupName"], params)

    def list_role_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(call, "role", params["RoleName"], params)
