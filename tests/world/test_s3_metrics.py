"""AWS/S3 daily storage metrics: BucketSizeBytes and NumberOfObjects, once a day.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html
"""

from __future__ import annotations

from datetime import datetime, timezone

DAY1 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def storage_rows(lab):
    return lab.sql("SELECT metric_name, dimensions, timestamp, unit, value, received_at FROM cloudwatch_datapoints "
                   "WHERE namespace = 'AWS/S3' ORDER BY timestamp, metric_name").fetchall()


def test_one_datapoint_per_bucket_and_day(lab):
    """Each midnight publishes the day just ended: size of all versions (StandardStorage, Bytes) and
    object count (AllStorageTypes, Count), timestamped at the day's 00:00 UTC."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="metrics-bucket")
    s3.create_bucket(Bucket="empty-bucket")
    s3.put_bucket_versioning(Bucket="metrics-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="metrics-bucket", Key="a", Body=b"12345")
    s3.put_object(Bucket="metrics-bucket", Key="a", Body=b"123")  # noncurrent versions count too
    s3.delete_object(Bucket="metrics-bucket", Key="a")             # the delete marker does not
    lab.advance(hours=23)
    assert storage_rows(lab) == []  # nothing before the day ends
    lab.advance(hours=1)
    rows = storage_rows(lab)
    assert rows == [
        ("BucketSizeBytes", '[{"Name":"BucketName","Value":"metrics-bucket"},'
                            '{"Name":"StorageType","Value":"StandardStorage"}]', DAY1, "Bytes", 8.0, lab.now),
        ("NumberOfObjects", '[{"Name":"BucketName","Value":"metrics-bucket"},'
                            '{"Name":"StorageType","Value":"AllStorageTypes"}]', DAY1, "Count", 2.0, lab.now),
    ]


def test_a_long_jump_publishes_every_day_in_one_batch(lab):
    """Jumping 30 days publishes 30 days of datapoints (SQL over the interval)."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="long-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="long-bucket", Key="k", Body=b"x" * 10)
    lab.advance(days=30)
    count, regions, days = lab.sql("SELECT count(*), list(DISTINCT region), count(DISTINCT timestamp) "
                                   "FROM cloudwatch_datapoints WHERE namespace = 'AWS/S3'").fetchall()[0]
    assert (count, regions, days) == (60, ["eu-west-1"], 30)
    stats = lab.client("cloudwatch", region_name="eu-west-1").get_metric_statistics(
        Namespace="AWS/S3", MetricName="BucketSizeBytes", StartTime=DAY1, EndTime=lab.now, Period=86400,
        Statistics=["Average"], Dimensions=[{"Name": "BucketName", "Value": "long-bucket"},
                                            {"Name": "StorageType", "Value": "StandardStorage"}])
    assert len(stats["Datapoints"]) == 30 and {d["Average"] for d in stats["Datapoints"]} == {10.0}
