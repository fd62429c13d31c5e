"""A bucket's settings: policy, ACL, Object Ownership, Block Public Access, default encryption,
versioning, server access logging and tags.

Each Put… replaces the whole setting, each Get… returns it or S3's "not found" error for that
setting, each Delete… removes it; every change is published to Config with the bucket's full
configuration. API reference pages: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
(and PutBucketAcl, PutBucketOwnershipControls, PutPublicAccessBlock, PutBucketEncryption,
PutBucketVersioning, PutBucketLogging, PutBucketTagging).

Since January 2023 every bucket has default encryption (SSE-S3 unless set otherwise);
DeleteBucketEncryption puts SSE-S3 back. https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
The lab records logging settings but does not write server access log files.
"""

from __future__ import annotations

import json
from typing import Any

from ..gateway import Call
from .iam_documents import parse_policy
from .iam_evaluation import grants_public_access
from .iam_store import principal_exists
from .s3_access import authorize, check_acl_request, requested_acl
from .s3_config import publish_bucket
from .s3_store import (DEFAULT_ENCRYPTION, S3Error, access_denied, find_bucket, malformed_xml, owner,
                       require_bucket, update_bucket)

SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


class BucketSettingHandlers:
    """Bucket sub-resources (mixed into :class:`~awslab.world.s3.S3Service`)."""

    def _bucket(self, call: Call, params: dict[str, Any]):
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, call.operation)
        return bucket

    def _changed(self, call: Call, name: str, **columns: Any) -> dict[str, Any]:
        update_bucket(call.db, name, **columns)
        publish_bucket(call, find_bucket(call.db, name), "updated")
        return {}

    # ------------------------------------------------------------------ policy
    def put_bucket_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        document = parse_policy(params["Policy"], "bucket", bucket=bucket.name,
                                principal_exists=lambda arn: principal_exists(call.db, arn))
        if bucket.blocks("BlockPublicPolicy") and grants_public_access(document):
            raise access_denied(f"User: {call.principal.arn or call.principal.name} is not authorized to perform: "
                                f"s3:PutBucketPolicy on resource: \"{bucket.arn}\" because public policies are "
                                "blocked by the BlockPublicPolicy block public access setting.")
        return self._changed(call, bucket.name, policy=params["Policy"])

    def get_bucket_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        if bucket.policy is None:
            raise S3Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404)
        return {"Policy": bucket.policy}

    def delete_bucket_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return self._changed(call, bucket.name, policy=None)

    def get_bucket_policy_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        if bucket.policy is None:
            raise S3Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404)
        return {"PolicyStatus": {"IsPublic": grants_public_access(json.loads(bucket.policy))}}

    # ------------------------------------------------------------------ ACL and ownership
    def put_bucket_acl(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        grants = requested_acl(params, call.account_id)
        if grants is None:
            raise malformed_xml()
        check_acl_request(bucket, grants, call.account_id)
        return self._changed(call, bucket.name, acl=grants)

    def get_bucket_acl(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return {"Owner": owner(call.account_id), "Grants": bucket.acl}

    def put_bucket_ownership_controls(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        rules = params["OwnershipControls"].get("Rules", [])
        if len(rules) != 1:
            raise malformed_xml()
        return self._changed(call, bucket.name, object_ownership=rules[0]["ObjectOwnership"])

    def get_bucket_ownership_controls(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        if bucket.object_ownership is None:
            raise S3Error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404)
        return {"OwnershipControls": {"Rules": [{"ObjectOwnership": bucket.object_ownership}]}}

    def delete_bucket_ownership_controls(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return self._changed(call, bucket.name, object_ownership=None)

    # ------------------------------------------------------------------ Block Public Access
    def put_public_access_block(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        given = params["PublicAccessBlockConfiguration"]
        if not given:
            raise malformed_xml()
        settings = {name: bool(given.get(name, False)) for name in
                    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
        return self._changed(call, bucket.name, public_access_block=settings)

    def get_public_access_block(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        if bucket.public_access_block is None:
            raise S3Error("NoSuchPublicAccessBlockConfiguration",
                          "The public access block configuration was not found", 404)
        return {"PublicAccessBlockConfiguration": dict(bucket.public_access_block)}

    def delete_public_access_block(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return self._changed(call, bucket.name, public_access_block=None)

    # ------------------------------------------------------------------ default encryption
    def put_bucket_encryption(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        rules = params["ServerSideEncryptionConfiguration"].get("Rules", [])
        if len(rules) != 1 or "ApplyServerSideEncryptionByDefault" not in rules[0]:
            raise malformed_xml()
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        if default.get("SSEAlgorithm") not in SSE_ALGORITHMS:
            raise malformed_xml()
        if "KMSMasterKeyID" in default and default["SSEAlgorithm"] == "AES256":
            raise S3Error("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is "
                          "not aws:kms or aws:kms:dsse", 400)
        rule = {"ApplyServerSideEncryptionByDefault": dict(default),
                "BucketKeyEnabled": bool(rules[0].get("BucketKeyEnabled", False))}
        return self._changed(call, bucket.name, encryption={"Rules": [rule]})

    def get_bucket_encryption(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return {"ServerSideEncryptionConfiguration": bucket.encryption}

    def delete_bucket_encryption(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return self._changed(call, bucket.name, encryption=DEFAULT_ENCRYPTION)

    # ------------------------------------------------------------------ versioning
    def put_bucket_versioning(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        configuration = params["VersioningConfiguration"]
        status = configuration.get("Status")
        if status is None and "MFADelete" not in configuration:
            raise malformed_xml()
        if status is not None and status not in ("Enabled", "Suspended"):
            raise malformed_xml()
        return self._changed(call, bucket.name, versioning=status or bucket.versioning,
                             mfa_delete=configuration.get("MFADelete", bucket.mfa_delete))

    def get_bucket_versioning(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        response: dict[str, Any] = {}
        if bucket.versioning:
            response["Status"] = bucket.versioning
        if bucket.mfa_delete:
            response["MFADelete"] = bucket.mfa_delete
        return response

    # ------------------------------------------------------------------ server access logging
    def put_bucket_logging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        enabled = params["BucketLoggingStatus"].get("LoggingEnabled")
        if enabled is not None:
            target = find_bucket(call.db, enabled["TargetBucket"])
            if target is None:
                raise S3Error("InvalidTargetBucketForLogging", "The target bucket for logging does not exist", 400)
            if target.region != bucket.region:
                raise S3Error("CrossLocationLoggingProhibitted", "Cross S3 location logging not allowed. ", 403)
            enabled = {"TargetBucket": enabled["TargetBucket"], "TargetPrefix": enabled.get("TargetPrefix", "")}
        return self._changed(call, bucket.name, logging=enabled)

    def get_bucket_logging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return {"LoggingEnabled": bucket.logging} if bucket.logging else {}

    # ------------------------------------------------------------------ tags
    def put_bucket_tagging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        tag_set = params["Tagging"].get("TagSet", [])
        keys = [t["Key"] for t in tag_set]
        if len(set(keys)) != len(keys):
            raise S3Error("InvalidTag", "Cannot provide multiple Tags with the same key", 400)
        if len(tag_set) > 50:
            raise S3Error("InvalidTag", "Bucket tag count cannot be greater than 50", 400)
        for tag in tag_set:
            if tag["Key"].lower().startswith("aws:"):
                raise S3Error("InvalidTag", "System tags cannot be added/updated by requester", 400)
            if not 1 <= len(tag["Key"]) <= 128 or len(tag["Value"]) > 256:
                raise S3Error("InvalidTag", "The TagKey you have provided is invalid", 400)
        return self._changed(call, bucket.name, tags={t["Key"]: t["Value"] for t in tag_set})

    def get_bucket_tagging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        if not bucket.tags:
            raise S3Error("NoSuchTagSet", "The TagSet does not exist", 404)
        return {"TagSet": [{"Key": k, "Value": v} for k, v in bucket.tags.items()]}

    def delete_bucket_tagging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket(call, params)
        return self._changed(call, bucket.name, tags=None)
