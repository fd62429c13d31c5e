"""Objects: put, get, head, copy, delete (one or many), object ACLs (listing: :mod:`.s3_object_lists`).

Object bytes are kept in ``s3_objects.body`` so that log files and snapshots delivered by other
services can be listed, read, altered and deleted like any object.

Versioning ("How S3 Versioning works"): in an unversioned bucket a key has one version,
``null``, that a put replaces and a delete removes; with versioning Enabled every put adds a
version and a delete without a version id adds a delete marker; Suspended puts and deletes act
on the ``null`` version. Deleting a specific version removes it for good.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/versioning-workflows.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html
Conditional and ranged reads: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from botocore.response import StreamingBody

from ..gateway import Call
from .s3_access import authorize, canned_acl, check_acl_request, owner_grant, requested_acl
from .s3_store import (VERSION_ID, Bucket, S3Error, head_error, malformed_xml, new_version_id, no_such_key,
                       owner, require_bucket)

OBJECT_COLUMNS = ("version_id, delete_marker, body, size, etag, last_modified, content_type, content_encoding, "
                  "cache_control, content_disposition, content_language, metadata, storage_class, sse, kms_key_id, "
                  "bucket_key_enabled, acl, tags, seq")
_HEADERS = (("ContentEncoding", 7), ("CacheControl", 8), ("ContentDisposition", 9), ("ContentLanguage", 10))
MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048


def _read_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if hasattr(body, "seek"):
        body.seek(0)
    data = body.read()
    return data.encode() if isinstance(data, str) else bytes(data)


def _seconds(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


def _not_modified() -> S3Error:
    # A 304 has no body, on GET as on HEAD: botocore reports the status as the code.
    return S3Error("304", "Not Modified", 304, trail_code="NotModified")


def _precondition_failed() -> S3Error:
    return S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412)


class ObjectHandlers:
    """Object operations (mixed into :class:`~awslab.world.s3.S3Service`)."""

    # ------------------------------------------------------------------ storage
    def _store(self, call: Call, bucket: Bucket, key: str, **fields: Any) -> str:
        """Write a new current version of ``key`` (or a delete marker); returns its version id."""
        seq = self.next_seq()  # type: ignore[attr-defined]
        if bucket.versioning == "Enabled":
            version = new_version_id(bucket.name, key, seq)
        else:
            version = "null"
            call.db.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = 'null'",
                            [bucket.name, key])
        if bucket.versioning is not None:  # unversioned keys have only the null version, just removed
            call.db.execute("UPDATE s3_objects SET is_latest = false WHERE bucket = ? AND key = ? AND is_latest",
                            [bucket.name, key])
        row = {"bucket": bucket.name, "key": key, "version_id": version, "seq": seq, "is_latest": True,
               "delete_marker": False, "body": None, "size": 0, "etag": None, "last_modified": call.time,
               "content_type": None, "content_encoding": None, "cache_control": None, "content_disposition": None,
               "content_language": None, "metadata": "{}", "storage_class": "STANDARD", "sse": None,
               "kms_key_id": None, "bucket_key_enabled": None, "acl": None, "tags": None}
        row.update(fields)
        call.db.execute(f"INSERT INTO s3_objects ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                        list(row.values()))
        return version

    def _object(self, call: Call, bucket: Bucket, key: str, version_id: str | None) -> tuple:
        if version_id is not None:
            if version_id != "null" and not VERSION_ID.match(version_id):
                raise S3Error("InvalidArgument", "Invalid version id specified", 400)
            row = call.db.execute(f"SELECT {OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ? "
                                  "AND version_id = ?", [bucket.name, key, version_id]).fetchone()
            if row is None:
                raise S3Error("NoSuchVersion", "The specified version does not exist.", 404)
            if row[1]:
                raise S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
            return row
        row = call.db.execute(f"SELECT {OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest",
                              [bucket.name, key]).fetchone()
        if row is None or row[1]:
            raise no_such_key()
        return row

    # ------------------------------------------------------------------ put, copy
    def put_object(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        key = params["Key"]
        if len(key.encode()) > MAX_KEY_BYTES:
            raise S3Error("KeyTooLongError", "Your key is too long", 400)
        authorize(call, bucket, "PutObject", key)
        data = _read_body(params.get("Body"))
        call.s3_bytes_in = len(data)  # type: ignore[attr-defined]  # for CloudTrail's bytesTransferredIn
        metadata = {k.lower(): v for k, v in (params.get("Metadata") or {}).items()}
        if sum(len(k) + len(v) for k, v in metadata.items()) > MAX_METADATA_BYTES:
            raise S3Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size", 400)
        grants = requested_acl(params, call.account_id)
        check_acl_request(bucket, grants, call.account_id)
        md5 = hashlib.md5(data).digest()
        if "ContentMD5" in params and params["ContentMD5"] != base64.b64encode(md5).decode():
            raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
        self._check_write_conditions(call, bucket, key, params)
        etag = f'"{md5.hex()}"'
        response = self._write(call, bucket, key, data, etag, params, metadata, grants,
                               tags=_parse_tagging(params.get("Tagging")))
        return response

    def _check_write_conditions(self, call: Call, bucket: Bucket, key: str, params: dict[str, Any]) -> None:
        if "IfNoneMatch" not in params and "IfMatch" not in params:
            return
        current = call.db.execute("SELECT etag FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest "
                                  "AND NOT delete_marker", [bucket.name, key]).fetchone()
        if params.get("IfNoneMatch") == "*" and current is not None:
            raise _precondition_failed()
        if "IfMatch" in params:
            if current is None:
                raise no_such_key()
            if params["IfMatch"] != current[0]:
                raise _precondition_failed()

    def _write(self, call: Call, bucket: Bucket, key: str, data: bytes, etag: str, params: dict[str, Any],
               metadata: dict[str, str], grants: list | None, tags: dict[str, str] | None,
               content_type: str | None = None, headers: dict[str, Any] | None = None) -> dict[str, Any]:
        default = bucket.encryption["Rules"][0]
        by_default = default.get("ApplyServerSideEncryptionByDefault", {})
        sse = params.get("ServerSideEncryption", by_default.get("SSEAlgorithm", "AES256"))
        kms_key = params.get("SSEKMSKeyId", by_default.get("KMSMasterKeyID")) if sse.startswith("aws:kms") else None
        bucket_key = bool(params.get("BucketKeyEnabled", default.get("BucketKeyEnabled"))) if kms_key or \
            sse.startswith("aws:kms") else None
        headers = headers if headers is not None else {name: params.get(name) for name, _ in _HEADERS}
        version = self._store(
            call, bucket, key, body=data, size=len(data), etag=etag, metadata=json.dumps(metadata),
            content_type=content_type or params.get("ContentType") or "binary/octet-stream",
            content_encoding=headers.get("ContentEncoding"), cache_control=headers.get("CacheControl"),
            content_disposition=headers.get("ContentDisposition"), content_language=headers.get("ContentLanguage"),
            storage_class=params.get("StorageClass", "STANDARD"), sse=sse, kms_key_id=kms_key,
            bucket_key_enabled=bucket_key, acl=json.dumps(grants) if grants else None,
            tags=json.dumps(tags) if tags else None)
        response: dict[str, Any] = {"ETag": etag, "ServerSideEncryption": sse}
        if kms_key:
            response["SSEKMSKeyId"] = kms_key
        if bucket_key:
            response["BucketKeyEnabled"] = True
        if bucket.versioning is not None:
            response["VersionId"] = version
        return response

    def copy_object(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        source_text, _, source_version = params["CopySource"].partition("?versionId=")
        source_bucket_name, _, source_key = unquote(source_text).lstrip("/").partition("/")
        if not source_bucket_name or not source_key:
            raise S3Error("InvalidArgument", "Invalid copy source object key", 400)
        source_bucket = require_bucket(call, source_bucket_name)
        source = self._object(call, source_bucket, source_key, unquote(source_version) or None)
        authorize(call, source_bucket, "GetObject", source_key)
        bucket = require_bucket(call, params["Bucket"])
        key = params["Key"]
        authorize(call, bucket, "CopyObject", key)
        replace = params.get("MetadataDirective", "COPY") == "REPLACE"
        changes = replace or any(p in params for p in ("ServerSideEncryption", "StorageClass", "SSEKMSKeyId",
                                                        "WebsiteRedirectLocation"))
        if source_bucket.name == bucket.name and source_key == key and not changes:
            raise S3Error("InvalidRequest", "This copy request is illegal because it is trying to copy an object to "
                          "itself without changing the object's metadata, storage class, website redirect location "
                          "or encryption attributes.", 400)
        grants = requested_acl(params, call.account_id)
        check_acl_request(bucket, grants, call.account_id)
        data = source[2] or b""
        metadata = ({k.lower(): v for k, v in (params.get("Metadata") or {}).items()} if replace
                    else json.loads(source[11] or "{}"))
        headers = ({name: params.get(name) for name, _ in _HEADERS} if replace
                   else {name: source[index] for name, index in _HEADERS})
        tags = (_parse_tagging(params.get("Tagging")) if params.get("TaggingDirective") == "REPLACE"
                else json.loads(source[17]) if source[17] else None)
        written = self._write(call, bucket, key, data, source[4], params, metadata, grants, tags,
                              content_type=params.get("ContentType") if replace else source[6], headers=headers)
        response: dict[str, Any] = {"CopyObjectResult": {"ETag": source[4], "LastModified": _seconds(call.time)},
                                    "ServerSideEncryption": written["ServerSideEncryption"]}
        if "VersionId" in written:
            response["VersionId"] = written["VersionId"]
        if source_bucket.versioning is not None:
            response["CopySourceVersionId"] = source[0]
        return response

    # ------------------------------------------------------------------ get, head
    def _read(self, call: Call, params: dict[str, Any], operation: str) -> tuple[Bucket, tuple, dict[str, Any]]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, operation, params["Key"])
        row = self._object(call, bucket, params["Key"], params.get("VersionId"))
        (version, _, _, size, etag, modified, content_type, *_rest) = row
        modified_s = _seconds(modified)
        if "IfMatch" in params and params["IfMatch"] not in (etag, etag.strip('"')):
            raise _precondition_failed()
        if "IfUnmodifiedSince" in params and modified_s > params["IfUnmodifiedSince"]:
            raise _precondition_failed()
        if "IfNoneMatch" in params and params["IfNoneMatch"] in (etag, etag.strip('"'), "*"):
            raise _not_modified()
        if "IfModifiedSince" in params and "IfNoneMatch" not in params and modified_s <= params["IfModifiedSince"]:
            raise _not_modified()
        response: dict[str, Any] = {"AcceptRanges": "bytes", "LastModified": modified_s, "ContentLength": size,
                                    "ETag": etag, "ContentType": content_type}
        for name, index in _HEADERS:
            if row[index] is not None:
                response[name] = row[index]
        if bucket.versioning is not None:
            response["VersionId"] = version
        response["ServerSideEncryption"] = row[13]
        if row[14]:
            response["SSEKMSKeyId"] = row[14]
        if row[15]:
            response["BucketKeyEnabled"] = True
        response["Metadata"] = json.loads(row[11] or "{}")
        if row[12] != "STANDARD":
            response["StorageClass"] = row[12]
        if row[17]:
            response["TagCount"] = len(json.loads(row[17]))
        return bucket, row, response

    def get_object(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _, row, response = self._read(call, params, "GetObject")
        data: bytes = row[2] or b""
        if "Range" in params:
            start, end = _byte_range(params["Range"], len(data))
            response["ContentRange"] = f"bytes {start}-{end}/{len(data)}"
            data = data[start:end + 1]
            response["ContentLength"] = len(data)
        for override in ("ContentType", "ContentEncoding", "CacheControl", "ContentDisposition", "ContentLanguage"):
            if f"Response{override}" in params:
                response[override] = params[f"Response{override}"]
        response["Body"] = StreamingBody(io.BytesIO(data), len(data))
        return response

    def head_object(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._read(call, params, "HeadObject")[2]
        except S3Error as error:
            raise head_error(error) from None

    # ------------------------------------------------------------------ delete
    def _delete(self, call: Call, bucket: Bucket, key: str, version_id: str | None) -> dict[str, Any]:
        if version_id is not None:
            if version_id != "null" and not VERSION_ID.match(version_id):
                raise S3Error("InvalidArgument", "Invalid version id specified", 400)
            removed = call.db.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ? "
                                      "RETURNING is_latest, delete_marker", [bucket.name, key, version_id]).fetchall()
            if removed and removed[0][0]:
                call.db.execute("UPDATE s3_objects SET is_latest = true WHERE bucket = ? AND key = ? AND seq = "
                                "(SELECT max(seq) FROM s3_objects WHERE bucket = ? AND key = ?)",
                                [bucket.name, key, bucket.name, key])
            result: dict[str, Any] = {"VersionId": version_id}
            if removed and removed[0][1]:
                result["DeleteMarker"] = True
            return result
        if bucket.versioning is None:
            call.db.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ?", [bucket.name, key])
            return {}
        marker = self._store(call, bucket, key, delete_marker=True, metadata=None, storage_class="STANDARD")
        return {"DeleteMarker": True, "VersionId": marker}

    def delete_object(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "DeleteObject", params["Key"])
        return self._delete(call, bucket, params["Key"], params.get("VersionId"))

    def delete_objects(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        objects = params["Delete"].get("Objects", [])
        if not objects or len(objects) > 1000:
            raise malformed_xml()
        deleted, errors = [], []
        for item in objects:
            key, version_id = item["Key"], item.get("VersionId")
            try:
                authorize(call, bucket, "DeleteObjects", key, params=item)
                result = self._delete(call, bucket, key, version_id)
            except S3Error as error:
                failure = {"Key": key, "Code": error.code, "Message": error.message}
                errors.append({**failure, "VersionId": version_id} if version_id else failure)
                continue
            entry: dict[str, Any] = {"Key": key}
            if version_id is not None:
                entry["VersionId"] = version_id
            if result.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = result["VersionId"]
            deleted.append(entry)
        response: dict[str, Any] = {}
        if deleted and not params["Delete"].get("Quiet"):
            response["Deleted"] = deleted
        if errors:
            response["Errors"] = errors
        return response

    # ------------------------------------------------------------------ object ACLs
    def get_object_acl(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "GetObjectAcl", params["Key"])
        row = self._object(call, bucket, params["Key"], params.get("VersionId"))
        grants = json.loads(row[16]) if row[16] else [owner_grant(call.account_id)]
        return {"Owner": owner(call.account_id), "Grants": grants}

    def put_object_acl(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "PutObjectAcl", params["Key"])
        row = self._object(call, bucket, params["Key"], params.get("VersionId"))
        grants = requested_acl(params, call.account_id) or canned_acl("private", call.account_id)
        check_acl_request(bucket, grants, call.account_id)
        call.db.execute("UPDATE s3_objects SET acl = ? WHERE bucket = ? AND key = ? AND seq = ?",
                        [json.dumps(grants), bucket.name, params["Key"], row[18]])
        return {}


def _byte_range(spec: str, size: int) -> tuple[int, int]:
    """``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` (RFC 9110 single range) as inclusive offsets."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip())
    if not match or match.groups() == ("", ""):
        return 0, size - 1  # S3 ignores a malformed Range header and returns the whole object
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise S3Error("InvalidRange", "The requested range is not satisfiable", 416)
    return start, end


def _parse_tagging(text: str | None) -> dict[str, str] | None:
    """Object tags given as URL query text (``k1=v1&k2=v2``)."""
    if not text:
        return None
    tags = dict(parse_qsl(text, keep_blank_values=True))
    if len(tags) > 10:
        raise S3Error("BadRequest", "Object tags cannot be greater than 10", 400)
    return tags
