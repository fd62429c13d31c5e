"""AWS/S3 daily storage metrics: BucketSizeBytes and NumberOfObjects, once a day, as S3 publishes them.

S3 reports, once per day and per bucket, ``BucketSizeBytes`` (dimensions BucketName and
StorageType=StandardStorage, unit Bytes: the size of all current and noncurrent object
versions) and ``NumberOfObjects`` (StorageType=AllStorageTypes, unit Count: all current and
noncurrent versions). https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudwatch-monitoring.html

Lab rules: the datapoint of a day carries that day's 00:00 UTC as its timestamp and is
published when the day ends (at the next midnight), with the bucket's contents at that moment;
buckets without objects publish nothing; delete markers are not counted. The job is a catch-up
job: one SQL statement per region covers every midnight crossed since the last run, however
long the jump, and hands the rows to CloudWatch on the hub's ``metric_data`` topic.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..hub import Hub

DAY = timedelta(days=1)

DATAPOINTS_SQL = """
WITH days AS (
    SELECT unnest(generate_series(?::TIMESTAMPTZ, ?::TIMESTAMPTZ, INTERVAL 1 DAY)) AS published_at
), storage AS (
    SELECT o.bucket, sum(o.size)::DOUBLE AS bytes, count(*)::DOUBLE AS objects
    FROM s3_objects o JOIN s3_buckets b ON b.name = o.bucket
    WHERE b.region = ? AND NOT o.delete_marker
    GROUP BY o.bucket
), metrics AS (
    SELECT bucket, 'BucketSizeBytes' AS metric_name, 'StandardStorage' AS storage_type, 'Bytes' AS unit,
           bytes AS value FROM storage
    UNION ALL
    SELECT bucket, 'NumberOfObjects', 'AllStorageTypes', 'Count', objects FROM storage
)
SELECT 'AWS/S3' AS namespace, metric_name,
       '[{"Name":"BucketName","Value":' || to_json(bucket)::VARCHAR || '},{"Name":"StorageType","Value":"'
           || storage_type || '"}]' AS dimensions,
       published_at - INTERVAL 1 DAY AS timestamp, unit, 60 AS storage_resolution,
       value, 1.0 AS count, 1.0 AS sample_count, value AS sum, value AS minimum, value AS maximum,
       published_at AS received_at
FROM days CROSS JOIN metrics
"""


def midnight(instant: datetime) -> datetime:
    return instant.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


class DailyStorageMetrics:
    """The catch-up job publishing AWS/S3 storage metrics at every midnight the clock crosses."""

    def __init__(self, db, hub: Hub, account_id: str, start: datetime) -> None:
        self.db, self.hub, self.account_id = db, hub, account_id
        if db.execute("SELECT count(*) FROM s3_metrics_state").fetchone()[0] == 0:
            db.execute("INSERT INTO s3_metrics_state VALUES (?)", [midnight(start)])

    def run(self, until: datetime) -> None:
        done = self.db.execute("SELECT published_through FROM s3_metrics_state").fetchone()[0]
        first, last = done + DAY, midnight(until)
        if last < first:
            return
        regions = [r for (r,) in self.db.execute("SELECT DISTINCT region FROM s3_buckets ORDER BY region").fetchall()]
        for region in regions:
            self.hub.publish("metric_data", {"datapoints_sql": DATAPOINTS_SQL, "params": [first, last, region],
                                             "region": region, "account_id": self.account_id})
        self.db.execute("UPDATE s3_metrics_state SET published_through = ?", [last])
