"""S3 buckets in AWS Config's shape, and S3 calls in CloudTrail's.

**Config** records AWS::S3::Bucket with a small ``configuration`` (name, owner, creation
date) and the bucket's settings in ``supplementaryConfiguration`` (AccessControlList,
BucketLoggingConfiguration, BucketPolicy, BucketVersioningConfiguration,
ServerSideEncryptionConfiguration, PublicAccessBlockConfiguration, BucketTaggingConfiguration…),
lowerCamelCase inside. https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html#amazons3
(shapes as in configuration items captured from AWS; see shared/reference/config.md §2).

**CloudTrail** records S3 calls with S3's own vocabulary: ``requestParameters`` hold
``bucketName``, ``Host``, ``key`` and the REST sub-resource (``policy: ""``, ``acl: ""``…);
``eventName`` is the REST action (PutBucketPublicAccessBlock for PutPublicAccessBlock,
ListObjects for ListObjectsV2); ``resources`` name the bucket and object; ``additionalEventData``
carries the signature and byte counts. https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .s3_access import ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY
from .s3_store import XMLNS, Bucket, owner_id

EVENT_NAMES = {
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock", "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "DeleteBucketPublicAccessBlock", "ListObjectsV2": "ListObjects",
    "PutBucketLifecycleConfiguration": "PutBucketLifecycle", "GetBucketLifecycleConfiguration": "GetBucketLifecycle",
}
# REST sub-resource each bucket operation addresses (an empty query parameter in CloudTrail)
SUBRESOURCES = {
    "Policy": "policy", "PolicyStatus": "policyStatus", "Acl": "acl", "Versioning": "versioning",
    "Logging": "logging", "Tagging": "tagging", "Encryption": "encryption", "PublicAccessBlock": "publicAccessBlock",
    "OwnershipControls": "ownershipControls", "Location": "location",
}
_PERMISSIONS = {"FULL_CONTROL": "FullControl", "READ": "Read", "WRITE": "Write", "READ_ACP": "ReadAcp",
                "WRITE_ACP": "WriteAcp"}
_GROUPS = {ALL_USERS: "AllUsers", AUTHENTICATED_USERS: "AuthenticatedUsers", LOG_DELIVERY: "LogDelivery"}


def _lower_first(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_first(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_first(v) for v in value]
    return value


def bucket_fact(bucket: Bucket, account_id: str, status: str) -> dict[str, Any]:
    """The ``resource_changed`` fact for a bucket (its full configuration as Config records it)."""
    canonical = owner_id(account_id)
    grants = []
    for grant in bucket.acl:
        grantee = grant.get("Grantee", {})
        who: Any = _GROUPS.get(grantee.get("URI", ""), None)
        if who is None:
            who = {"id": grantee.get("ID"), "displayName": None}
        grants.append({"grantee": who, "permission": _PERMISSIONS.get(grant.get("Permission"), grant.get("Permission"))})
    rule = bucket.encryption["Rules"][0]
    by_default = rule.get("ApplyServerSideEncryptionByDefault", {})
    supplementary: dict[str, Any] = {
        "AccessControlList": {"grantSet": None, "grantList": grants,
                              "owner": {"displayName": None, "id": canonical}, "isRequesterCharged": False},
        "BucketAccelerateConfiguration": {"status": None},
        "BucketLoggingConfiguration": {
            "destinationBucketName": (bucket.logging or {}).get("TargetBucket"),
            "logFilePrefix": (bucket.logging or {}).get("TargetPrefix")},
        "BucketNotificationConfiguration": {"configurations": {}},
        "BucketPolicy": {"policyText": bucket.policy},
        "BucketVersioningConfiguration": {
            "status": bucket.versioning or "Off",
            "isMfaDeleteEnabled": None if bucket.mfa_delete is None else bucket.mfa_delete == "Enabled"},
        "IsRequesterPaysEnabled": False,
        "ServerSideEncryptionConfiguration": {"rules": [{
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": by_default.get("SSEAlgorithm"),
                                                   "kmsMasterKeyID": by_default.get("KMSMasterKeyID")},
            "bucketKeyEnabled": rule.get("BucketKeyEnabled", False)}]},
        "BucketOwnershipControls": {"rules": ([{"objectOwnership": bucket.object_ownership}]
                                              if bucket.object_ownership else [])},
    }
    if bucket.public_access_block is not None:
        supplementary["PublicAccessBlockConfiguration"] = _lower_first(bucket.public_access_block)
    if bucket.tags:
        supplementary["BucketTaggingConfiguration"] = {"tagSets": [{"tags": dict(bucket.tags)}]}
    return {
        "resource_type": "AWS::S3::Bucket", "resource_id": bucket.name, "resource_name": bucket.name,
        "arn": bucket.arn, "availability_zone": "Regional", "resource_creation_time": bucket.creation_date,
        "status": status, "region": bucket.region,
        "configuration": {"name": bucket.name, "owner": {"displayName": None, "id": canonical},
                          "creationDate": bucket.creation_date.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        "supplementary_configuration": supplementary, "tags": dict(bucket.tags or {}), "relationships": [],
    }


def publish_bucket(call: Call, bucket: Bucket, status: str) -> None:
    call.publish("resource_changed", bucket_fact(bucket, call.account_id, status))


# ------------------------------------------------------------------ CloudTrail
def _xml_body(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The request body of a configuration call, as CloudTrail shows it (XML turned into JSON)."""
    if operation == "PutBucketPolicy":
        try:
            return {"bucketPolicy": json.loads(params["Policy"])}
        except (ValueError, TypeError):
            return {}
    bodies = {"PutBucketVersioning": "VersioningConfiguration", "PutPublicAccessBlock": "PublicAccessBlockConfiguration",
              "PutBucketLogging": "BucketLoggingStatus", "PutBucketOwnershipControls": "OwnershipControls",
              "CreateBucket": "CreateBucketConfiguration"}
    if operation in bodies and bodies[operation] in params:
        return {bodies[operation]: {"xmlns": XMLNS, **params[bodies[operation]]}}
    if operation == "PutBucketEncryption":
        rules = params["ServerSideEncryptionConfiguration"].get("Rules", [])
        return {"ServerSideEncryptionConfiguration": {"xmlns": XMLNS, "Rule": rules[0] if len(rules) == 1 else rules}}
    if operation == "PutBucketTagging":
        return {"Tagging": {"xmlns": XMLNS, "TagSet": {"Tag": params["Tagging"].get("TagSet", [])}}}
    return {}


def _request_parameters(call: Call, host: str) -> dict[str, Any]:
    params, operation = call.params, call.operation
    request: dict[str, Any] = {}
    if "Bucket" in params:
        request["bucketName"] = params["Bucket"]
    request["Host"] = host
    if "Key" in params:
        request["key"] = params["Key"]
    for suffix, name in SUBRESOURCES.items():
        if operation.endswith(suffix) and operation != "CreateBucket" and "Object" not in operation:
            request[name] = ""
    if operation in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
        if operation == "ListObjectsV2":
            request["list-type"] = "2"
        if operation == "ListObjectVersions":
            request["versions"] = ""
        for param, name in (("Prefix", "prefix"), ("Delimiter", "delimiter"), ("MaxKeys", "max-keys"),
                            ("EncodingType", "encoding-type"), ("ContinuationToken", "continuation-token"),
                            ("StartAfter", "start-after"), ("Marker", "marker"), ("KeyMarker", "key-marker"),
                            ("VersionIdMarker", "version-id-marker")):
            if param in params:
                request[name] = str(params[param])
        request.setdefault("prefix", "")
    if operation == "DeleteObjects":
        request["delete"] = ""  # CloudTrail does not log the keys of a multi-object delete
    if "VersionId" in params:
        request["versionId"] = params["VersionId"]
    if "ACL" in params:
        request["x-amz-acl"] = params["ACL"]
    if "CopySource" in params:
        request["x-amz-copy-source"] = params["CopySource"]
    request.update(_xml_body(operation, params))
    return request


def _response_elements(call: Call, response: dict[str, Any] | None) -> dict[str, Any] | None:
    if not response or call.operation not in ("PutObject", "CopyObject", "DeleteObject"):
        return None
    elements: dict[str, Any] = {}
    if "ServerSideEncryption" in response:
        elements["x-amz-server-side-encryption"] = response["ServerSideEncryption"]
    if "VersionId" in response:
        elements["x-amz-version-id"] = response["VersionId"]
    if response.get("DeleteMarker"):
        elements["x-amz-delete-marker"] = "true"
    return elements or None


def amend_s3_record(call: Call, record: dict[str, Any], response: dict[str, Any] | None, error: AWSError | None) -> None:
    """Rewrite the generic record of an S3 call into the shape S3 writes."""
    host = (record.get("tlsDetails") or {}).get("clientProvidedHostHeader") or "s3.amazonaws.com"
    record["eventName"] = EVENT_NAMES.get(call.operation, call.operation)
    if error is not None:
        record["errorCode"] = getattr(error, "trail_code", error.code)
    record["requestParameters"] = _request_parameters(call, host)
    record["responseElements"] = None if error is not None else _response_elements(call, response)
    size_in = getattr(call, "s3_bytes_in", 0)  # set by PutObject: botocore has turned Body into a stream
    size_out = (response or {}).get("ContentLength", 0) if call.operation == "GetObject" else 0
    amz_id = base64.b64encode(hashlib.sha256(call.event_id.encode()).digest() * 2).decode()[:76]
    record["additionalEventData"] = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                     "bytesTransferredIn": size_in, "AuthenticationMethod": "AuthHeader",
                                     "x-amz-id-2": amz_id, "bytesTransferredOut": size_out}
    if "Bucket" in call.params:
        bucket_arn = f"arn:aws:s3:::{call.params['Bucket']}"
        resources = [{"accountId": call.account_id, "type": "AWS::S3::Bucket", "ARN": bucket_arn}]
        if "Key" in call.params:
            resources.insert(0, {"type": "AWS::S3::Object", "ARN": f"{bucket_arn}/{call.params['Key']}"})
        record["resources"] = resources
