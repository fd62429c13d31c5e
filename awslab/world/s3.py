"""The S3 service: buckets in regions, objects with their bytes, bucket settings, daily metrics.

Buckets are created, listed and deleted here; their settings live in :mod:`.s3_buckets`,
objects in :mod:`.s3_objects` and :mod:`.s3_object_lists`, the AWS/S3 storage metrics in :mod:`.s3_metrics`.

* New buckets get what S3 gives them today: SSE-S3 default encryption, all four Block Public
  Access settings on, Object Ownership "bucket owner enforced" (ACLs disabled).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html
* CreateBucket outside us-east-1 needs a LocationConstraint naming the client's region; a
  us-east-1 client (the global endpoint) may create a bucket in any region; "us-east-1" itself
  is not a valid constraint. Re-creating a bucket you own fails with BucketAlreadyOwnedByYou,
  except in us-east-1 where S3 answers 200 for legacy compatibility.
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
* Object-level calls are CloudTrail data events; a call on a bucket is logged in the bucket's
  region. AWS services (``lab.service_client("s3", "cloudtrail.amazonaws.com")``) reach buckets
  only where the bucket policy grants them (:mod:`.s3_access`).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Service
from . import s3_store
from .s3_access import authorize, check_acl_request, owner_grant, requested_acl
from .s3_buckets import BucketSettingHandlers
from .s3_config import amend_s3_record, publish_bucket
from .s3_metrics import DailyStorageMetrics
from .s3_object_lists import ListHandlers
from .s3_objects import ObjectHandlers
from .s3_store import (DEFAULT_ENCRYPTION, DEFAULT_PUBLIC_ACCESS_BLOCK, S3Error, check_bucket_name, find_bucket,
                       head_error, owner, require_bucket)

DATA_EVENTS = frozenset({
    "GetObject", "PutObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "GetObjectAcl",
    "PutObjectAcl", "ListObjects", "ListObjectsV2", "ListObjectVersions", "HeadBucket",
})


class S3Service(BucketSettingHandlers, ObjectHandlers, ListHandlers, Service):
    answers = ("s3",)
    data_events = DATA_EVENTS

    def setup(self) -> None:
        self.lab.db.execute(s3_store.SCHEMA)
        self.metrics = DailyStorageMetrics(self.lab.db, self.lab.hub, self.lab.account_id, self.lab.start)
        self.lab.scheduler.keep_up("s3-daily-storage-metrics", self.metrics.run)
        self._seq = self.lab.db.execute("SELECT coalesce(max(seq), 0) FROM s3_objects").fetchone()[0]
        # AWS Config's recorder takes an inventory of existing buckets when it starts
        from .s3_config import bucket_fact
        self.lab.hub.subscribe("resource_inventory", lambda fact: fact["collect"].extend(
            {**bucket_fact(s3_store.Bucket(row), fact["account_id"], "created"), "account_id": fact["account_id"],
             "time": fact["time"]} for row in self.lab.db.execute(
                f"SELECT {s3_store.BUCKET_COLUMNS} FROM s3_buckets WHERE region = ? ORDER BY name",
                [fact["region"]]).fetchall()))

    def next_seq(self) -> int:
        """The order in which object versions were written (kept in memory: gaps after a failed
        call are harmless, only the order matters)."""
        self._seq += 1
        return self._seq

    def tables(self) -> dict[str, str]:
        return dict(s3_store.TABLES)

    def amend_record(self, call: Call, record: dict[str, Any], response: dict[str, Any] | None,
                     error: AWSError | None) -> None:
        """S3's own shape in CloudTrail (bucketName/Host/key parameters, resources, event names)."""
        amend_s3_record(call, record, response, error)

    # ------------------------------------------------------------------ buckets
    def create_bucket(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        check_bucket_name(name)
        constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        if constraint == "us-east-1":
            raise S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid", 400)
        region = constraint or "us-east-1"
        if call.region != "us-east-1" and region != call.region:
            if constraint is None:
                raise S3Error("IllegalLocationConstraintException", "The unspecified location constraint is "
                              "incompatible for the region specific endpoint this request was sent to.", 400)
            raise S3Error("IllegalLocationConstraintException", f"The {constraint} location constraint is "
                          "incompatible for the region specific endpoint this request was sent to.", 400)
        if region not in self.lab.regions:
            raise S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid", 400)
        ownership = params.get("ObjectOwnership", "BucketOwnerEnforced")
        grants = requested_acl(params, call.account_id)
        if grants is not None and ownership == "BucketOwnerEnforced" and \
                not all(g.get("Grantee", {}).get("ID") for g in grants):
            raise S3Error("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with "
                          "ObjectOwnership's BucketOwnerEnforced setting", 400)
        existing = find_bucket(call.db, name)
        if existing is not None:
            call.region = existing.region
            if existing.region == "us-east-1" and region == "us-east-1":
                return {"Location": f"/{name}"}  # legacy: 200 OK in us-east-1
            raise S3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded "
                          "and you already own it.", 409)
        check_acl_request(None, grants, call.account_id, ownership)  # Block Public Access is on for new buckets
        call.region = region
        acl = grants or [owner_grant(call.account_id)]
        call.db.execute("INSERT INTO s3_buckets VALUES (?, ?, ?, ?, NULL, ?, NULL, NULL, NULL, NULL, ?, ?)",
                        [name, region, call.time, ownership, json.dumps(acl),
                         json.dumps(DEFAULT_ENCRYPTION), json.dumps(DEFAULT_PUBLIC_ACCESS_BLOCK)])
        publish_bucket(call, find_bucket(call.db, name), "created")
        location = f"/{name}" if region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
        return {"Location": location}

    def delete_bucket(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "DeleteBucket")
        if call.db.execute("SELECT count(*) FROM s3_objects WHERE bucket = ?", [bucket.name]).fetchone()[0]:
            raise S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
        call.db.execute("DELETE FROM s3_buckets WHERE name = ?", [bucket.name])
        publish_bucket(call, bucket, "deleted")
        return {}

    def list_buckets(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        prefix, after = params.get("Prefix", ""), params.get("ContinuationToken")
        limit = params.get("MaxBuckets", 10000)
        rows = call.db.execute("SELECT name, creation_date, region FROM s3_buckets WHERE starts_with(name, ?) "
                               "AND (? IS NULL OR region = ?) AND (? IS NULL OR name > ?) ORDER BY name LIMIT ?",
                               [prefix, params.get("BucketRegion"), params.get("BucketRegion"), after, after,
                                limit + 1]).fetchall()
        response: dict[str, Any] = {"Buckets": [{"Name": n, "CreationDate": c, "BucketRegion": r}
                                                for n, c, r in rows[:limit]],
                                    "Owner": owner(call.account_id)}
        if "Prefix" in params:
            response["Prefix"] = prefix
        if len(rows) > limit:
            response["ContinuationToken"] = rows[limit - 1][0]
        return response

    def head_bucket(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        try:
            bucket = require_bucket(call, params["Bucket"])
            authorize(call, bucket, "HeadBucket")
        except S3Error as error:
            raise head_error(error) from None
        return {"BucketRegion": bucket.region, "AccessPointAlias": False}

    def get_bucket_location(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bucket = require_bucket(call, params["Bucket"])
        authorize(call, bucket, "GetBucketLocation")
        # us-east-1 buckets have no location constraint: botocore gives None
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}
