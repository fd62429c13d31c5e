"""Listing keys the way S3 does: UTF-8 order, prefixes, delimiters rolled into CommonPrefixes, paging.

* Keys are returned in UTF-8 binary order; with a delimiter, keys that contain it after the
  prefix are rolled up into one CommonPrefix each; keys and common prefixes together count
  toward MaxKeys (at most 1,000 a page).
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-prefixes.html
* ListObjectVersions lists versions newest first within a key, delete markers separately.
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html

Each page is one SQL query (roll-up, de-duplication, ordering and the page limit in DuckDB);
continuation tokens are opaque base64 of the last entry of the page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .s3_store import S3Error

MAX_KEYS = 1000

# The common prefix a key rolls up into ($delimiter after $prefix), or NULL.
_ROLLED = """
    CASE WHEN $delimiter <> '' AND strpos(substr(key, length($prefix) + 1), $delimiter) > 0
         THEN $prefix || substr(substr(key, length($prefix) + 1), 1,
                                strpos(substr(key, length($prefix) + 1), $delimiter) - 1) || $delimiter
    END"""

CURRENT_SQL = f"""
WITH candidates AS (
    SELECT key, size, etag, last_modified, storage_class, {_ROLLED} AS common_prefix
    FROM s3_objects
    WHERE bucket = $bucket AND is_latest AND NOT delete_marker AND starts_with(key, $prefix)
      AND ($after IS NULL OR key > $after)
      AND ($skip_prefix IS NULL OR NOT starts_with(key, $skip_prefix))
)
SELECT coalesce(common_prefix, key) AS entry, common_prefix IS NOT NULL AS is_prefix,
       any_value(size), any_value(etag), any_value(last_modified), any_value(storage_class)
FROM candidates
GROUP BY ALL
ORDER BY entry
LIMIT $limit
"""

VERSIONS_SQL = f"""
WITH candidates AS (
    SELECT key, version_id, seq, is_latest, delete_marker, size, etag, last_modified, storage_class,
           {_ROLLED} AS common_prefix
    FROM s3_objects
    WHERE bucket = $bucket AND starts_with(key, $prefix)
      AND ($key_marker IS NULL OR key > $key_marker OR (key = $key_marker AND seq < $seq_marker))
      AND ($skip_prefix IS NULL OR NOT starts_with(key, $skip_prefix))
), entries AS (
    SELECT common_prefix AS entry, true AS is_prefix, NULL::BIGINT AS seq, NULL AS version_id, NULL::BOOLEAN AS
           is_latest, NULL::BOOLEAN AS delete_marker, NULL::BIGINT AS size, NULL AS etag,
           NULL::TIMESTAMPTZ AS last_modified, NULL AS storage_class
    FROM candidates WHERE common_prefix IS NOT NULL GROUP BY common_prefix
    UNION ALL
    SELECT key, false, seq, version_id, is_latest, delete_marker, size, etag, last_modified, storage_class
    FROM candidates WHERE common_prefix IS NULL
)
SELECT * FROM entries ORDER BY entry, seq DESC NULLS FIRST LIMIT $limit
"""


@dataclass
class Page:
    entries: list[tuple]
    truncated: bool


def encode_token(entry: str, is_prefix: bool) -> str:
    return base64.b64encode(json.dumps([entry, is_prefix]).encode()).decode()


def decode_token(token: str) -> tuple[str, bool]:
    try:
        entry, is_prefix = json.loads(base64.b64decode(token, validate=True))
        if not isinstance(entry, str) or not isinstance(is_prefix, bool):
            raise ValueError(token)
        return entry, is_prefix
    except (ValueError, TypeError):
        raise S3Error("InvalidArgument", "The continuation token provided is incorrect", 400) from None


def max_keys(params: dict[str, Any]) -> int:
    return min(int(params.get("MaxKeys", MAX_KEYS)), MAX_KEYS)


def list_current(db, bucket: str, prefix: str, delimiter: str, after: str | None, skip_prefix: str | None,
                 limit: int) -> Page:
    """One page of current objects after ``after`` (and outside ``skip_prefix``)."""
    if limit <= 0:
        return Page([], False)
    rows = db.execute(CURRENT_SQL, {"bucket": bucket, "prefix": prefix, "delimiter": delimiter, "after": after,
                                    "skip_prefix": skip_prefix, "limit": limit + 1}).fetchall()
    return Page(rows[:limit], len(rows) > limit)


def list_versions(db, bucket: str, prefix: str, delimiter: str, key_marker: str | None, seq_marker: int | None,
                  skip_prefix: str | None, limit: int) -> Page:
    if limit <= 0:
        return Page([], False)
    rows = db.execute(VERSIONS_SQL, {"bucket": bucket, "prefix": prefix, "delimiter": delimiter,
                                     "key_marker": key_marker, "seq_marker": seq_marker if seq_marker is not None
                                     else -1, "skip_prefix": skip_prefix, "limit": limit + 1}).fetchall()
    return Page(rows[:limit], len(rows) > limit)


def encoder(params: dict[str, Any]):
    """Keys as the response carries them: URL-encoded when ``EncodingType=url`` (botocore asks for
    it by default and decodes the answer)."""
    if params.get("EncodingType") == "url":
        return lambda text: quote(text, safe="/~")
    return lambda text: text


def content(entry: tuple, owner: dict[str, str] | None, encode) -> dict[str, Any]:
    key, _, size, etag, modified, storage_class = entry
    item: dict[str, Any] = {"Key": encode(key), "LastModified": _ms(modified), "ETag": etag, "Size": size,
                            "StorageClass": storage_class}
    if owner is not None:
        item["Owner"] = owner
    return item


def _ms(instant: datetime) -> datetime:
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
