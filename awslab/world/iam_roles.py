"""IAM roles: create with a trust policy, read, list, update, tag, delete.

API reference: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html; a role's
maximum session duration is 1 to 12 hours (default one hour), and a role cannot be deleted
while policies are attached or embedded ("Deleting roles or instance profiles"):
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html
"""

from __future__ import annotations

import json
from typing import Any

from ..gateway import Call
from . import iam_config
from .iam_documents import parse_policy
from .iam_store import (already_exists, check_name, check_path, check_tags, delete_conflict, encode_document,
                        find_role, page, principal_exists, require_policy, require_role, role_id, tags_list)

DEFAULT_MAX_SESSION = 3600


def role_shape(row: tuple, *, detail: bool = False) -> dict[str, Any]:
    (name, rid, path, arn, created, trust, description, max_session, boundary, tags,
     last_used, last_region) = row
    role: dict[str, Any] = {"Path": path, "RoleName": name, "RoleId": rid, "Arn": arn, "CreateDate": created,
                            "AssumeRolePolicyDocument": encode_document(trust)}
    if description is not None:
        role["Description"] = description
    role["MaxSessionDuration"] = max_session
    if boundary is not None:
        role["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                       "PermissionsBoundaryArn": boundary}
    if detail:
        if tags_list(tags):
            role["Tags"] = tags_list(tags)
        role["RoleLastUsed"] = {} if last_used is None else {"LastUsedDate": last_used, "Region": last_region}
    return role


class RoleHandlers:
    """Roles (mixed into :class:`~awslab.world.iam.IAMService`)."""

    def _trust(self, call: Call, text: str) -> None:
        parse_policy(text, "trust", principal_exists=lambda arn: principal_exists(call.db, arn))

    def create_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["RoleName"], params.get("Path", "/")
        check_name(name, "roleName")
        check_path(path)
        self._trust(call, params["AssumeRolePolicyDocument"])
        if find_role(call.db, name) is not None:
            raise already_exists(f"Role with name {name} already exists.")
        boundary = params.get("PermissionsBoundary")
        if boundary is not None:
            require_policy(call.db, boundary)
        tags = check_tags(params.get("Tags", []))
        call.db.execute("INSERT INTO iam_roles VALUES (?,?,?,?,?,?,?,?,?,?,NULL,NULL)",
                        [name, role_id(call.account_id, name), path, f"arn:aws:iam::{call.account_id}:role{path}{name}",
                         call.time, params["AssumeRolePolicyDocument"], params.get("Description"),
                         params.get("MaxSessionDuration", DEFAULT_MAX_SESSION), boundary, json.dumps(tags)])
        iam_config.publish(call, iam_config.role_fact(call.db, name, "created"))
        role = role_shape(find_role(call.db, name))
        role.pop("MaxSessionDuration")
        if tags:
            role["Tags"] = tags_list(json.dumps(tags))
        return {"Role": role}

    def get_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"Role": role_shape(require_role(call.db, params["RoleName"]), detail=True)}

    def list_roles(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rows = call.db.execute("SELECT role_name, role_id, path, arn, create_date, assume_role_policy, description, "
                               "max_session_duration, permissions_boundary, tags, last_used_date, last_used_region "
                               "FROM iam_roles WHERE starts_with(path, ?) ORDER BY lower(role_name)",
                               [params.get("PathPrefix", "/")]).fetchall()
        return page([role_shape(r) for r in rows], params, "Roles")

    def update_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_role(call.db, params["RoleName"])
        call.db.execute("UPDATE iam_roles SET description = ?, max_session_duration = ? WHERE role_name = ?",
                        [params.get("Description", row[6]), params.get("MaxSessionDuration", row[7]), row[0]])
        iam_config.publish(call, iam_config.role_fact(call.db, row[0], "updated"))
        return {}

    def update_role_description(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_role(call.db, params["RoleName"])
        call.db.execute("UPDATE iam_roles SET description = ? WHERE role_name = ?", [params["Description"], row[0]])
        iam_config.publish(call, iam_config.role_fact(call.db, row[0], "updated"))
        return {"Role": role_shape(require_role(call.db, row[0]), detail=True)}

    def update_assume_role_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_role(call.db, params["RoleName"])
        self._trust(call, params["PolicyDocument"])
        call.db.execute("UPDATE iam_roles SET assume_role_policy = ? WHERE role_name = ?",
                        [params["PolicyDocument"], row[0]])
        iam_config.publish(call, iam_config.role_fact(call.db, row[0], "updated"))
        return {}

    def delete_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = require_role(call.db, params["RoleName"])[0]
        checks = (
            ("SELECT count(*) FROM iam_attached_policies WHERE entity_type = 'role' AND entity_name = ?",
             "must detach all policies first."),
            ("SELECT count(*) FROM iam_inline_policies WHERE entity_type = 'role' AND entity_name = ?",
             "must delete policies first."),
        )
        for query, what in checks:
            if call.db.execute(query, [name]).fetchone()[0]:
                raise delete_conflict(f"Cannot delete entity, {what}")
        fact = iam_config.role_fact(call.db, name, "deleted")
        call.db.execute("DELETE FROM iam_roles WHERE role_name = ?", [name])
        iam_config.publish(call, fact)
        return {}

    def tag_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_role(call.db, params["RoleName"])
        tags = json.loads(row[9])
        tags.update(check_tags(params["Tags"]))
        check_tags(tags_list(json.dumps(tags)))
        iam_config.retag(call, "role", row[0], tags)
        return {}

    def untag_role(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_role(call.db, params["RoleName"])
        tags = {k: v for k, v in json.loads(row[9]).items() if k not in params["TagKeys"]}
        iam_config.retag(call, "role", row[0], tags)
        return {}

    def list_role_tags(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return page(tags_list(require_role(call.db, params["RoleName"])[9]), params, "Tags")
