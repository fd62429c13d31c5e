"""Listing objects: ListObjectsV2, ListObjects (v1) and ListObjectVersions.

The listing rules and their SQL live in :mod:`.s3_listing`; this module turns a page of
entries into the response S3 sends (keys URL-encoded when asked, continuation tokens,
markers, owners). https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
"""

from __future__ import annotations

from typing import Any

from ..gateway import Call
from .s3_access import authorize
from .s3_listing import content, decode_token, encode_token, encoder, list_current, list_versions, max_keys
from .s3_store import Bucket, S3Error, owner, require_bucket


class ListHandlers:
    """Object listings (mixed into :class:`~awslab.world.s3.S3Service`)."""

    def list_objects_v2(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "ListObjectsV2")
        prefix, delimiter, limit = params.get("Prefix", ""), params.get("Delimiter", ""), max_keys(params)
        after, skip = None, None
        if params.get("ContinuationToken"):
            after, is_prefix = decode_token(params["ContinuationToken"])
            skip = after if is_prefix else None
        elif params.get("StartAfter"):
            after = params["StartAfter"]
        page = list_current(call.db, bucket.name, prefix, delimiter, after, skip, limit)
        encode = encoder(params)
        response = self._listing(bucket, params, page, encode, owner(call.account_id) if params.get("FetchOwner")
                                 else None)
        response["MaxKeys"] = limit
        response["KeyCount"] = len(page.entries)
        for name in ("ContinuationToken",):
            if params.get(name):
                response[name] = params[name]
        if params.get("StartAfter"):
            response["StartAfter"] = encode(params["StartAfter"])
        if page.truncated:
            last = page.entries[-1]
            response["NextContinuationToken"] = encode_token(last[0], last[1])
        return response

    def list_objects(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "ListObjects")
        prefix, delimiter, limit = params.get("Prefix", ""), params.get("Delimiter", ""), max_keys(params)
        marker = params.get("Marker") or None
        skip = marker if marker and delimiter and marker.endswith(delimiter) else None
        page = list_current(call.db, bucket.name, prefix, delimiter, marker, skip, limit)
        encode = encoder(params)
        response = self._listing(bucket, params, page, encode, owner(call.account_id))
        response["Marker"] = encode(params.get("Marker", ""))
        response["MaxKeys"] = limit
        if page.truncated and delimiter:
            response["NextMarker"] = encode(page.entries[-1][0])
        return response

    def _listing(self, bucket: Bucket, params: dict[str, Any], page, encode, owner_field) -> dict[str, Any]:
        response: dict[str, Any] = {"IsTruncated": page.truncated, "Name": bucket.name,
                                    "Prefix": encode(params.get("Prefix", ""))}
        contents = [content(e, owner_field, encode) for e in page.entries if not e[1]]
        prefixes = [{"Prefix": encode(e[0])} for e in page.entries if e[1]]
        if contents:
            response["Contents"] = contents
        if prefixes:
            response["CommonPrefixes"] = prefixes
        if params.get("Delimiter"):
            response["Delimiter"] = encode(params["Delimiter"])
        if params.get("EncodingType"):
            response["EncodingType"] = params["EncodingType"]
        return response

    def list_object_versions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "ListObjectVersions")
        prefix, delimiter, limit = params.get("Prefix", ""), params.get("Delimiter", ""), max_keys(params)
        key_marker = params.get("KeyMarker") or None
        seq_marker = None
        if key_marker and params.get("VersionIdMarker"):
            found = call.db.execute("SELECT seq FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?",
                                    [bucket.name, key_marker, params["VersionIdMarker"]]).fetchone()
            if found is None:
                raise S3Error("InvalidArgument", "Invalid version id specified", 400)
            seq_marker = found[0]
        skip = key_marker if key_marker and delimiter and key_marker.endswith(delimiter) else None
        page = list_versions(call.db, bucket.name, prefix, delimiter, key_marker, seq_marker, skip, limit)
        encode, the_owner = encoder(params), owner(call.account_id)
        versions, markers, prefixes = [], [], []
        for entry, is_prefix, _, version, latest, is_marker, size, etag, modified, storage_class in page.entries:
            if is_prefix:
                prefixes.append({"Prefix": encode(entry)})
            elif is_marker:
                markers.append({"Owner": the_owner, "Key": encode(entry), "VersionId": version, "IsLatest": latest,
                                "LastModified": modified})
            else:
                versions.append({"ETag": etag, "Size": size, "StorageClass": storage_class, "Key": encode(entry),
                                 "VersionId": version, "IsLatest": latest, "LastModified": modified,
                                 "Owner": the_owner})
        response: dict[str, Any] = {"IsTruncated": page.truncated, "KeyMarker": encode(params.get("KeyMarker", "")),
                                    "VersionIdMarker": params.get("VersionIdMarker", ""), "Name": bucket.name,
                                    "Prefix": encode(prefix), "MaxKeys": limit}
        if versions:
            response["Versions"] = versions
        if markers:
            response["DeleteMarkers"] = markers
        if prefixes:
            response["CommonPrefixes"] = prefixes
        if delimiter:
            response["Delimiter"] = encode(delimiter)
        if params.get("EncodingType"):
            response["EncodingType"] = params["EncodingType"]
        if page.truncated:
            last = page.entries[-1]
            response["NextKeyMarker"] = encode(last[0])
            if not last[1]:
                response["NextVersionIdMarker"] = last[3]
        return response
