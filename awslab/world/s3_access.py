"""Who may touch a bucket: bucket policies, ACLs, Object Ownership and Block Public Access.

The lab does not evaluate identity policies: its users and roles may call every S3 operation.
What it does evaluate, as S3 does:

* **Bucket policy, explicit Deny** applies to every caller (the bucket owner's root keeps the
  right to read, change and delete the bucket policy, so a learner can never lock a bucket for
  good) - "Policy evaluation logic";
* **Bucket policy, Allow** is required for AWS service principals (``cloudtrail.amazonaws.com``
  delivering log files, ``config.amazonaws.com`` delivering snapshots): a service has no
  identity policy in the account, so without a grant in the bucket policy its request is denied,
  as CloudTrail's and Config's documentation require. Their ``aws:SourceArn`` is not known to
  the lab, see :class:`~awslab.world.iam_evaluation.AnyArnInAccount`;
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
  https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
* **Object Ownership** "Bucket owner enforced" (the default for new buckets since April 2023)
  disables ACLs: only the bucket-owner-full-control canned ACL (or its equivalent) is accepted;
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
* **Block Public Access**: ``BlockPublicAcls`` refuses requests that grant public ACLs,
  ``BlockPublicPolicy`` refuses public bucket policies.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..gateway import LAB_SOURCE_IP, Call
from .iam_evaluation import AnyArnInAccount, Caller, RequestContext, evaluate
from .s3_store import Bucket, S3Error, access_denied, owner_id

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
PUBLIC_GROUPS = {ALL_USERS, AUTHENTICATED_USERS}

# boto3 operation -> the IAM action a bucket policy names
ACTIONS = {
    "PutObject": "s3:PutObject", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject", "DeleteObjects": "s3:DeleteObject", "CopyObject": "s3:PutObject",
    "ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket", "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions", "GetBucketAcl": "s3:GetBucketAcl",
    "PutBucketAcl": "s3:PutBucketAcl", "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketPolicy": "s3:GetBucketPolicy", "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy", "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "DeleteBucket": "s3:DeleteBucket", "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning", "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration", "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration", "GetBucketLogging": "s3:GetBucketLogging",
    "PutBucketLogging": "s3:PutBucketLogging", "GetBucketTagging": "s3:GetBucketTagging",
    "PutBucketTagging": "s3:PutBucketTagging", "DeleteBucketTagging": "s3:PutBucketTagging",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetObjectAcl": "s3:GetObjectAcl", "PutObjectAcl": "s3:PutObjectAcl",
}
_VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion",
              "s3:GetObjectAcl": "s3:GetObjectVersionAcl", "s3:PutObjectAcl": "s3:PutObjectVersionAcl"}
_POLICY_ACTIONS = {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"}


def _caller(call: Call) -> Caller:
    principal = call.principal
    role_arn = f"arn:aws:iam::{call.account_id}:role/{principal.name}" if principal.kind == "AssumedRole" else None
    return Caller(kind=principal.kind, account_id=call.account_id, arn=principal.arn, role_arn=role_arn,
                  service=principal.name if principal.kind == "AWSService" else None)


def _context_keys(call: Call, params: dict[str, Any]) -> dict[str, list[Any]]:
    principal = call.principal
    keys: dict[str, list[Any]] = {"aws:SecureTransport": ["true"], "aws:SourceIp": [LAB_SOURCE_IP],
                                  "aws:PrincipalAccount": [call.account_id]}
    if principal.kind == "AWSService":
        keys.update({"aws:SourceAccount": [call.account_id], "aws:SourceArn": [AnyArnInAccount(call.account_id)],
                     "aws:PrincipalServiceName": [principal.name]})
        keys.pop("aws:SourceIp")
    elif principal.arn:
        keys["aws:PrincipalArn"] = [f"arn:aws:iam::{call.account_id}:role/{principal.name}"
                                    if principal.kind == "AssumedRole" else principal.arn]
        keys["aws:PrincipalType"] = [principal.kind]
    if principal.mfa_authenticated:
        keys["aws:MultiFactorAuthPresent"] = ["true"]
    if "ACL" in params:
        keys["s3:x-amz-acl"] = [params["ACL"]]
    if "ServerSideEncryption" in params:
        keys["s3:x-amz-server-side-encryption"] = [params["ServerSideEncryption"]]
    if "Prefix" in params:
        keys["s3:prefix"] = [params["Prefix"]]
    return keys


def authorize(call: Call, bucket: Bucket, operation: str, key: str | None = None,
              params: dict[str, Any] | None = None) -> None:
    """Raise ``AccessDenied`` if the bucket policy denies the request, or (for AWS services)
    does not allow it."""
    action = ACTIONS.get(operation)
    if action is None:
        return
    params = params if params is not None else call.params
    if params.get("VersionId") and action in _VERSIONED:
        action = _VERSIONED[action]
    resource = bucket.arn if key is None else f"{bucket.arn}/{key}"
    context = RequestContext(action=action, resource=resource, caller=_caller(call),
                             keys=_context_keys(call, params))
    decision = evaluate(json.loads(bucket.policy), context) if bucket.policy else None
    principal = call.principal
    if decision == "Deny" and not (principal.kind == "Root" and operation in _POLICY_ACTIONS):
        if principal.arn:
            raise access_denied(f"User: {principal.arn} is not authorized to perform: {action} on resource: "
                                f"\"{resource}\" with an explicit deny in a resource-based policy")
        raise access_denied()
    if principal.kind == "AWSService" and decision != "Allow":
        raise access_denied()


# ------------------------------------------------------------------ ACLs
def owner_grant(account_id: str) -> dict[str, Any]:
    return {"Grantee": {"ID": owner_id(account_id), "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}


def _group(uri: str, permission: str) -> dict[str, Any]:
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def canned_acl(name: str, account_id: str) -> list[dict[str, Any]]:
    """The grants of a canned ACL ("Canned ACL" table of the ACL overview)."""
    grants = [owner_grant(account_id)]
    extra = {
        "private": [], "bucket-owner-full-control": [], "bucket-owner-read": [], "aws-exec-read": [],
        "public-read": [_group(ALL_USERS, "READ")],
        "public-read-write": [_group(ALL_USERS, "READ"), _group(ALL_USERS, "WRITE")],
        "authenticated-read": [_group(AUTHENTICATED_USERS, "READ")],
        "log-delivery-write": [_group(LOG_DELIVERY, "WRITE"), _group(LOG_DELIVERY, "READ_ACP")],
    }
    if name not in extra:
        raise S3Error("InvalidArgument", f"Invalid canned ACL: {name}", 400)
    return grants + extra[name]


_GRANT_HEADERS = {"GrantFullControl": "FULL_CONTROL", "GrantRead": "READ", "GrantReadACP": "READ_ACP",
                  "GrantWrite": "WRITE", "GrantWriteACP": "WRITE_ACP"}


def requested_acl(params: dict[str, Any], account_id: str) -> list[dict[str, Any]] | None:
    """The grants a request asks for (canned ACL, Grant* headers or an AccessControlPolicy), or None."""
    if "ACL" in params:
        return canned_acl(params["ACL"], account_id)
    if "AccessControlPolicy" in params:
        return list(params["AccessControlPolicy"].get("Grants", []))
    grants = []
    for header, permission in _GRANT_HEADERS.items():
        for kind, value in re.findall(r'(id|uri|emailAddress)\s*=\s*"?([^",]+)"?', params.get(header, "")):
            grantee = ({"Type": "Group", "URI": value} if kind == "uri" else
                       {"Type": "CanonicalUser", "ID": value} if kind == "id" else
                       {"Type": "AmazonCustomerByEmail", "EmailAddress": value})
            grants.append({"Grantee": grantee, "Permission": permission})
    return grants or None


def is_public_acl(grants: list[dict[str, Any]]) -> bool:
    return any(g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for g in grants)


def only_owner_full_control(grants: list[dict[str, Any]], account_id: str) -> bool:
    """Whether an ACL is what "ACLs disabled" still accepts: the owner's full control only."""
    return all(g.get("Grantee", {}).get("ID") == owner_id(account_id) and g.get("Permission") == "FULL_CONTROL"
               for g in grants)


def check_acl_request(bucket: Bucket | None, grants: list[dict[str, Any]] | None, account_id: str,
                      object_ownership: str | None = None) -> None:
    """Refuse ACLs that Object Ownership or Block Public Access rule out."""
    if grants is None:
        return
    ownership = object_ownership or (bucket.object_ownership if bucket else "BucketOwnerEnforced")
    if ownership == "BucketOwnerEnforced" and not only_owner_full_control(grants, account_id):
        raise S3Error("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    blocked = bucket.blocks("BlockPublicAcls") if bucket else True
    if blocked and is_public_acl(grants):
        raise access_denied()
