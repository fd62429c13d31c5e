"""IAM users and groups: create, read, list, update, tag, delete, and group membership.

API reference: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html (and the
pages of each operation named below). A user cannot be deleted while it still has a console
password, access keys, MFA devices, policies or group memberships ("Deleting an IAM user"):
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html#id_users_deleting_cli
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..identity import stable_id
from . import iam_config
from .iam_store import (already_exists, check_name, check_path, check_tags, delete_conflict, find_group,
                        find_user, no_such_entity, page, require_group, require_policy, require_user, tags_list,
                        user_id)


def user_shape(row: tuple, *, with_tags: bool = False) -> dict[str, Any]:
    name, uid, path, arn, created, password_last_used, boundary, tags = row
    user: dict[str, Any] = {"Path": path, "UserName": name, "UserId": uid, "Arn": arn, "CreateDate": created}
    if password_last_used is not None:
        user["PasswordLastUsed"] = password_last_used
    if boundary is not None:
        user["PermissionsBoundary"] = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                       "PermissionsBoundaryArn": boundary}
    if with_tags and tags_list(tags):
        user["Tags"] = tags_list(tags)
    return user


def group_shape(row: tuple) -> dict[str, Any]:
    name, gid, path, arn, created = row
    return {"Path": path, "GroupName": name, "GroupId": gid, "Arn": arn, "CreateDate": created}


class UserHandlers:
    """Users, groups and memberships (mixed into :class:`~awslab.world.iam.IAMService`)."""

    # ------------------------------------------------------------------ users
    def create_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["UserName"], params.get("Path", "/")
        check_name(name, "userName")
        check_path(path)
        if find_user(call.db, name) is not None:
            raise already_exists(f"User with name {name} already exists.")
        boundary = params.get("PermissionsBoundary")
        if boundary is not None:
            require_policy(call.db, boundary)
        tags = check_tags(params.get("Tags", []))
        arn = f"arn:aws:iam::{call.account_id}:user{path}{name}"
        call.db.execute("INSERT INTO iam_users VALUES (?,?,?,?,?,NULL,?,?)",
                        [name, user_id(call.account_id, name), path, arn, call.time, boundary, json.dumps(tags)])
        iam_config.publish(call, iam_config.user_fact(call.db, name, "created"))
        return {"User": user_shape(find_user(call.db, name), with_tags=True)}

    def get_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("UserName")
        if name is None:
            principal = call.principal
            if principal.kind == "Root":
                user: dict[str, Any] = {"UserId": call.account_id, "Arn": principal.arn,
                                        "CreateDate": call.lab.start}
                return {"User": user}
            if principal.kind != "IAMUser":
                raise AWSError("ValidationError", "Must specify userName when calling with non-User credentials", 400)
            name = principal.name
        return {"User": user_shape(require_user(call.db, name), with_tags=True)}

    def list_users(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix", "/")
        rows = call.db.execute("SELECT user_name, user_id, path, arn, create_date, password_last_used, "
                               "permissions_boundary, tags FROM iam_users WHERE starts_with(path, ?) "
                               "ORDER BY lower(user_name)", [prefix]).fetchall()
        return page([user_shape(r) for r in rows], params, "Users")

    def update_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = require_user(call.db, params["UserName"])[0]
        new_name, new_path = params.get("NewUserName", name), params.get("NewPath")
        check_name(new_name, "newUserName")
        if new_path is not None:
            check_path(new_path)
        if new_name.lower() != name.lower() and find_user(call.db, new_name) is not None:
            raise already_exists(f"User with name {new_name} already exists.")
        path = new_path or require_user(call.db, name)[2]
        call.db.execute("UPDATE iam_users SET user_name = ?, path = ?, arn = ? WHERE user_name = ?",
                        [new_name, path, f"arn:aws:iam::{call.account_id}:user{path}{new_name}", name])
        for table, column in (("iam_group_members", "user_name"), ("iam_access_keys", "user_name"),
                              ("iam_login_profiles", "user_name"), ("iam_mfa_devices", "user_name")):
            call.db.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [new_name, name])
        for table in ("iam_attached_policies", "iam_inline_policies"):
            call.db.execute(f"UPDATE {table} SET entity_name = ? WHERE entity_type = 'user' AND entity_name = ?",
                            [new_name, name])
        iam_config.publish(call, iam_config.user_fact(call.db, new_name, "updated"))
        return {}

    def delete_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = require_user(call.db, params["UserName"])[0]
        checks = (
            ("SELECT count(*) FROM iam_login_profiles WHERE user_name = ?", "must delete login profile first."),
            ("SELECT count(*) FROM iam_access_keys WHERE user_name = ? AND deleted_date IS NULL",
             "must delete access keys first."),
            ("SELECT count(*) FROM iam_attached_policies WHERE entity_type = 'user' AND entity_name = ?",
             "must detach all policies first."),
            ("SELECT count(*) FROM iam_inline_policies WHERE entity_type = 'user' AND entity_name = ?",
             "must delete policies first."),
            ("SELECT count(*) FROM iam_mfa_devices WHERE user_name = ?", "must delete MFA device first."),
            ("SELECT count(*) FROM iam_group_members WHERE user_name = ?", "must remove users from group first."),
        )
        for query, what in checks:
            if call.db.execute(query, [name]).fetchone()[0]:
                raise delete_conflict(f"Cannot delete entity, {what}")
        fact = iam_config.user_fact(call.db, name, "deleted")
        call.db.execute("DELETE FROM iam_users WHERE user_name = ?", [name])
        iam_config.publish(call, fact)
        return {}

    def tag_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_user(call.db, params["UserName"])
        tags = json.loads(row[7])
        tags.update(check_tags(params["Tags"]))
        check_tags(tags_list(json.dumps(tags)))
        iam_config.retag(call, "user", row[0], tags)
        return {}

    def untag_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = require_user(call.db, params["UserName"])
        tags = {k: v for k, v in json.loads(row[7]).items() if k not in params["TagKeys"]}
        iam_config.retag(call, "user", row[0], tags)
        return {}

    def list_user_tags(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return page(tags_list(require_user(call.db, params["UserName"])[7]), params, "Tags")

    # ------------------------------------------------------------------ groups
    def create_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["GroupName"], params.get("Path", "/")
        check_name(name, "groupName")
        check_path(path)
        if find_group(call.db, name) is not None:
            raise already_exists(f"Group with name {name} already exists.")
        call.db.execute("INSERT INTO iam_groups VALUES (?,?,?,?,?)",
                        [name, stable_id("AGPA", call.account_id, "group", name), path,
                         f"arn:aws:iam::{call.account_id}:group{path}{name}", call.time])
        iam_config.publish(call, iam_config.group_fact(call.db, name, "created"))
        return {"Group": group_shape(find_group(call.db, name))}

    def get_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = require_group(call.db, params["GroupName"])
        rows = call.db.execute("SELECT u.user_name, u.user_id, u.path, u.arn, u.create_date, u.password_last_used, "
                               "u.permissions_boundary, u.tags FROM iam_group_members m JOIN iam_users u "
                               "ON u.user_name = m.user_name WHERE m.group_name = ? ORDER BY lower(u.user_name)",
                               [group[0]]).fetchall()
        response = page([user_shape(r) for r in rows], params, "Users")
        response["Group"] = group_shape(group)
        return response

    def list_groups(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rows = call.db.execute("SELECT group_name, group_id, path, arn, create_date FROM iam_groups "
                               "WHERE starts_with(path, ?) ORDER BY lower(group_name)",
                               [params.get("PathPrefix", "/")]).fetchall()
        return page([group_shape(r) for r in rows], params, "Groups")

    def delete_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = require_group(call.db, params["GroupName"])[0]
        checks = (
            ("SELECT count(*) FROM iam_group_members WHERE group_name = ?", "must remove users from group first."),
            ("SELECT count(*) FROM iam_attached_policies WHERE entity_type = 'group' AND entity_name = ?",
             "must detach all policies first."),
            ("SELECT count(*) FROM iam_inline_policies WHERE entity_type = 'group' AND entity_name = ?",
             "must delete policies first."),
        )
        for query, what in checks:
            if call.db.execute(query, [name]).fetchone()[0]:
                raise delete_conflict(f"Cannot delete entity, {what}")
        fact = iam_config.group_fact(call.db, name, "deleted")
        call.db.execute("DELETE FROM iam_groups WHERE group_name = ?", [name])
        iam_config.publish(call, fact)
        return {}

    def add_user_to_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = require_group(call.db, params["GroupName"])[0]
        user = require_user(call.db, params["UserName"])[0]
        member = call.db.execute("SELECT count(*) FROM iam_group_members WHERE group_name = ? AND user_name = ?",
                                 [group, user]).fetchone()[0]
        if not member:
            call.db.execute("INSERT INTO iam_group_members VALUES (?, ?)", [group, user])
            iam_config.publish(call, iam_config.user_fact(call.db, user, "updated"))
        return {}

    def remove_user_from_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = require_group(call.db, params["GroupName"])[0]
        user = require_user(call.db, params["UserName"])[0]
        removed = call.db.execute("DELETE FROM iam_group_members WHERE group_name = ? AND user_name = ? RETURNING 1",
                                  [group, user]).fetchall()
        if not removed:
            raise no_such_entity(f"User {user} is not in group {group}.")
        iam_config.publish(call, iam_config.user_fact(call.db, user, "updated"))
        return {}

    def list_groups_for_user(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user = require_user(call.db, params["UserName"])[0]
        rows = call.db.execute("SELECT g.group_name, g.group_id, g.path, g.arn, g.create_date FROM iam_group_members m "
                               "JOIN iam_groups g ON g.group_name = m.group_name WHERE m.user_name = ? "
                               "ORDER BY lower(g.group_name)", [user]).fetchall()
        return page([group_shape(r) for r in rows], params, "Groups")
