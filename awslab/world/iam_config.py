"""IAM resources in AWS Config's shape, published on the hub as ``resource_changed`` facts.

Config records the global IAM types AWS::IAM::User, AWS::IAM::Group, AWS::IAM::Role and
AWS::IAM::Policy (customer managed policies only), with ``awsRegion`` "global", the entity's
unique id as ``resourceId`` and its name as ``resourceName``; inline and attached policies
appear inside the entity's configuration with URL-encoded documents, and attached customer
managed policies as "Is attached to CustomerManagedPolicy" relationships.
https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html#iam
https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html#select-resources-all

The facts carry ``region`` us-east-1 (where IAM logs) and ``aws_region`` "global" (what Config
writes in ``awsRegion`` for these types).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..gateway import Call
from .iam_store import AWS_POLICY_PREFIX, encode_document, find_group, find_policy, find_role, find_user


def config_time(instant: datetime | None) -> str | None:
    return None if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _attached(db, entity_type: str, name: str) -> list[tuple[str, str, str]]:
    """(policy name, ARN, policy id) of the managed policies attached to an entity."""
    return db.execute("SELECT p.policy_name, p.arn, p.policy_id FROM iam_attached_policies a "
                      "JOIN iam_policies p ON p.arn = a.policy_arn "
                      "WHERE a.entity_type = ? AND lower(a.entity_name) = lower(?) ORDER BY p.policy_name",
                      [entity_type, name]).fetchall()


def _inline(db, entity_type: str, name: str) -> list[dict[str, str]]:
    rows = db.execute("SELECT policy_name, document FROM iam_inline_policies WHERE entity_type = ? "
                      "AND lower(entity_name) = lower(?) ORDER BY policy_name", [entity_type, name]).fetchall()
    return [{"policyName": n, "policyDocument": encode_document(d)} for n, d in rows]


def _relationships(attached: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"relationshipName": "Is attached to CustomerManagedPolicy", "resourceType": "AWS::IAM::Policy",
             "resourceId": policy_id, "resourceName": name}
            for name, arn, policy_id in attached if not arn.startswith(AWS_POLICY_PREFIX)]


def _fact(resource_type: str, resource_id: str, name: str, arn: str, created: datetime, status: str,
          configuration: dict[str, Any], tags: dict[str, str], relationships: list[dict[str, str]]) -> dict[str, Any]:
    return {"resource_type": resource_type, "resource_id": resource_id, "resource_name": name, "arn": arn,
            "availability_zone": "Not Applicable", "resource_creation_time": created, "status": status,
            "configuration": configuration, "supplementary_configuration": {}, "tags": tags,
            "relationships": relationships, "aws_region": "global"}


def user_fact(db, name: str, status: str) -> dict[str, Any]:
    user, uid, path, arn, created, _, boundary, tags = find_user(db, name)
    attached = _attached(db, "user", user)
    groups = [g for (g,) in db.execute("SELECT group_name FROM iam_group_members WHERE lower(user_name) = "
                                       "lower(?) ORDER BY group_name", [user]).fetchall()]
    tag_map = json.loads(tags)
    configuration = {
        "path": path, "userName": user, "userId": uid, "arn": arn, "createDate": config_time(created),
        "userPolicyList": _inline(db, "user", user), "groupList": groups,
        "attachedManagedPolicies": [{"policyName": n, "policyArn": a} for n, a, _ in attached],
        "permissionsBoundary": None if boundary is None else {"permissionsBoundaryType": "Policy",
                                                              "permissionsBoundaryArn": boundary},
        "tags": [{"key": k, "value": v} for k, v in tag_map.items()],
    }
    return _fact("AWS::IAM::User", uid, user, arn, created, status, configuration, tag_map, _relationships(attached))


def group_fact(db, name: str, status: str) -> dict[str, Any]:
    group, gid, path, arn, created = find_group(db, name)
    attached = _attached(db, "group", group)
    configuration = {
        "path": path, "groupName": group, "groupId": gid, "arn": arn, "createDate": config_time(created),
        "groupPolicyList": _inline(db, "group", group),
        "attachedManagedPolicies": [{"policyName": n, "policyArn": a} for n, a, _ in attached],
    }
    return _fact("AWS::IAM::Group", gid, group, arn, created, status, configuration, {}, _relationships(attached))


def role_fact(db, name: str, status: str) -> dict[str, Any]:
    (role, rid, path, arn, created, trust, description, max_duration, boundary, tags,
     last_used, last_region) = find_role(db, name)
    attached = _attached(db, "role", role)
    tag_map = json.loads(tags)
    configuration = {
        "path": path, "roleName": role, "roleId": rid, "arn": arn, "createDate": config_time(created),
        "assumeRolePolicyDocument": encode_document(trust), "instanceProfileList": [],
        "rolePolicyList": _inline(db, "role", role),
        "attachedManagedPolicies": [{"policyName": n, "policyArn": a} for n, a, _ in attached],
        "permissionsBoundary": None if boundary is None else {"permissionsBoundaryType": "Policy",
                                                              "permissionsBoundaryArn": boundary},
        "tags": [{"key": k, "value": v} for k, v in tag_map.items()],
        "roleLastUsed": None if last_used is None else {"lastUsedDate": config_time(last_used),
                                                        "region": last_region},
        "description": description, "maxSessionDuration": max_duration,
    }
    return _fact("AWS::IAM::Role", rid, role, arn, created, status, configuration, tag_map, _relationships(attached))


def policy_fact(db, arn: str, status: str) -> dict[str, Any] | None:
    """A customer managed policy's configuration item (None for AWS managed policies)."""
    row = find_policy(db, arn)
    if row is None or row[8]:
        return None
    _, name, pid, path, default_version, created, updated, description, _, tags, _ = row
    attachments = db.execute("SELECT count(*) FROM iam_attached_policies WHERE policy_arn = ?", [arn]).fetchone()[0]
    versions = db.execute("SELECT version_id, document, create_date FROM iam_policy_versions WHERE policy_arn = ? "
                          "ORDER BY create_date DESC, version_id DESC", [arn]).fetchall()
    configuration = {
        "policyName": name, "policyId": pid, "arn": arn, "path": path, "defaultVersionId": default_version,
        "attachmentCount": attachments, "permissionsBoundaryUsageCount": 0, "isAttachable": True,
        "description": description, "createDate": config_time(created), "updateDate": config_time(updated),
        "policyVersionList": [{"document": encode_document(doc), "versionId": v,
                               "isDefaultVersion": v == default_version, "createDate": config_time(c)}
                              for v, doc, c in versions],
    }
    return _fact("AWS::IAM::Policy", pid, name, arn, created, status, configuration, json.loads(tags), [])


def publish(call: Call, fact: dict[str, Any] | None) -> None:
    if fact is not None:
        call.publish("resource_changed", fact)


_TAGGED = {"user": ("iam_users", "user_name", user_fact), "role": ("iam_roles", "role_name", role_fact)}


def retag(call: Call, entity: str, name: str, tags: dict[str, str]) -> None:
    """Store a user's or role's new tag set and tell Config the entity changed."""
    table, key, fact = _TAGGED[entity]
    call.db.execute(f"UPDATE {table} SET tags = ? WHERE {key} = ?", [json.dumps(tags), name])
    publish(call, fact(call.db, name, "updated"))
