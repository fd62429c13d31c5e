"""S3's tables and what every S3 operation shares: bucket names, lookups, errors, ids.

Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
Error codes, messages and statuses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
HEAD requests have no body, so botocore reports their errors by HTTP status alone
(code "404", message "Not Found"): the lab does the same for HeadBucket and HeadObject, and
keeps S3's own code for CloudTrail.

Buckets live in one namespace across regions; each has a region, and calls on it are logged
in CloudTrail in the bucket's region.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
from typing import Any

from ..errors import AWSError
from ..gateway import Call

SCHEMA = """
CREATE TABLE IF NOT EXISTS s3_buckets (
    name VARCHAR NOT NULL, region VARCHAR NOT NULL, creation_date TIMESTAMPTZ NOT NULL,
    object_ownership VARCHAR, policy VARCHAR, acl JSON NOT NULL, versioning VARCHAR, mfa_delete VARCHAR,
    logging JSON, tags JSON, encryption JSON NOT NULL, public_access_block JSON);
CREATE TABLE IF NOT EXISTS s3_objects (
    bucket VARCHAR NOT NULL, key VARCHAR NOT NULL, version_id VARCHAR NOT NULL, seq BIGINT NOT NULL,
    is_latest BOOLEAN NOT NULL, delete_marker BOOLEAN NOT NULL, body BLOB, size BIGINT NOT NULL,
    etag VARCHAR, last_modified TIMESTAMPTZ NOT NULL, content_type VARCHAR, content_encoding VARCHAR,
    cache_control VARCHAR, content_disposition VARCHAR, content_language VARCHAR, metadata JSON,
    storage_class VARCHAR NOT NULL, sse VARCHAR, kms_key_id VARCHAR, bucket_key_enabled BOOLEAN,
    acl JSON, tags JSON);
CREATE TABLE IF NOT EXISTS s3_metrics_state (published_through TIMESTAMPTZ NOT NULL);
"""

TABLES = {
    "s3_buckets": "S3 buckets: region, creation date, ownership, policy, ACL, versioning, logging, tags, "
                  "default encryption, public access block",
    "s3_objects": "every object version (and delete marker) of every bucket, with its bytes (body BLOB), "
                  "size, ETag, metadata and which version is the latest",
    "s3_metrics_state": "how far the daily AWS/S3 storage metrics (BucketSizeBytes, NumberOfObjects) "
                        "have been published",
}

BUCKET_COLUMNS = ("name, region, creation_date, object_ownership, policy, acl, versioning, mfa_delete, logging, "
                  "tags, encryption, public_access_block")
DEFAULT_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                 "BucketKeyEnabled": False}]}
DEFAULT_PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                               "RestrictPublicBuckets": True}
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

_FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
VERSION_ID = re.compile(r"^[A-Za-z0-9._-]{32}$")


class S3Error(AWSError):
    """An S3 error; ``trail_code`` is the code CloudTrail records when the client sees only a status."""

    def __init__(self, code: str, message: str, status: int = 400, *, trail_code: str | None = None) -> None:
        super().__init__(code, message, status)
        self.trail_code = trail_code or code


_STATUS_TEXT = {304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                405: "Method Not Allowed", 412: "Precondition Failed", 416: "Requested Range Not Satisfiable"}


def head_error(error: AWSError) -> S3Error:
    """What a HEAD request's failure looks like to botocore: the status as code and text."""
    return S3Error(str(error.status), _STATUS_TEXT.get(error.status, "Error"), error.status,
                   trail_code=getattr(error, "trail_code", error.code))


def no_such_bucket() -> S3Error:
    return S3Error("NoSuchBucket", "The specified bucket does not exist", 404)


def no_such_key() -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", 404)


def access_denied(message: str = "Access Denied") -> S3Error:
    return S3Error("AccessDenied", message, 403)


def malformed_xml() -> S3Error:
    return S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against our "
                   "published schema", 400)


def check_bucket_name(name: str) -> None:
    """Raise ``InvalidBucketName`` for a name S3's general purpose bucket rules refuse."""
    valid = (bool(_NAME.match(name)) and ".." not in name and ".-" not in name and "-." not in name
             and not name.startswith(_FORBIDDEN_PREFIXES) and not name.endswith(_FORBIDDEN_SUFFIXES))
    try:
        ipaddress.IPv4Address(name)
        valid = False
    except ValueError:
        pass
    if not valid:
        raise S3Error("InvalidBucketName", "The specified bucket is not valid.", 400)


def owner_id(account_id: str) -> str:
    """The account's canonical user id (64 hex digits)."""
    return hashlib.sha256(f"canonical/{account_id}".encode()).hexdigest()


def owner(account_id: str) -> dict[str, str]:
    # S3 no longer returns DisplayName (discontinued in 2025); the ID is the canonical user id.
    return {"ID": owner_id(account_id)}


def new_version_id(bucket: str, key: str, seq: int) -> str:
    digest = hashlib.sha256(f"{bucket}/{key}/{seq}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


class Bucket:
    """One row of ``s3_buckets``, with its JSON columns decoded."""

    def __init__(self, row: tuple) -> None:
        (self.name, self.region, self.creation_date, self.object_ownership, self.policy, acl, self.versioning,
         self.mfa_delete, logging, tags, encryption, public_access_block) = row
        self.acl: list[dict[str, Any]] = json.loads(acl)
        self.logging: dict[str, Any] | None = json.loads(logging) if logging else None
        self.tags: dict[str, str] | None = json.loads(tags) if tags is not None else None
        self.encryption: dict[str, Any] = json.loads(encryption)
        self.public_access_block: dict[str, bool] | None = (json.loads(public_access_block)
                                                            if public_access_block else None)

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"

    def blocks(self, setting: str) -> bool:
        return bool(self.public_access_block and self.public_access_block.get(setting))

    @property
    def acls_enabled(self) -> bool:
        return self.object_ownership != "BucketOwnerEnforced"


def find_bucket(db, name: str) -> Bucket | None:
    row = db.execute(f"SELECT {BUCKET_COLUMNS} FROM s3_buckets WHERE name = ?", [name]).fetchone()
    return None if row is None else Bucket(row)


def require_bucket(call: Call, name: str) -> Bucket:
    """The bucket, or ``NoSuchBucket``; the call is then logged in the bucket's region."""
    bucket = find_bucket(call.db, name)
    if bucket is None:
        raise no_such_bucket()
    call.region = bucket.region
    return bucket


def update_bucket(db, name: str, **columns: Any) -> None:
    """Set columns of a bucket row (dicts and lists are stored as JSON)."""
    names = list(columns)
    values = [json.dumps(v) if isinstance(v, (dict, list)) else v for v in columns.values()]
    db.execute(f"UPDATE s3_buckets SET {', '.join(f'{n} = ?' for n in names)} WHERE name = ?", values + [name])
