"""Trails: CreateTrail and friends, with AWS's rules and errors.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
"""

from __future__ import annotations

import botocore.exceptions
import pytest


def code_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_create_get_describe_list_delete(lab, bucket):
    ct = lab.client("cloudtrail")
    created = ct.create_trail(Name="main", S3BucketName=bucket)
    assert created["TrailARN"] == "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"
    assert created["IncludeGlobalServiceEvents"] is True and created["IsMultiRegionTrail"] is False
    trail = ct.get_trail(Name="main")["Trail"]
    assert trail["HomeRegion"] == "us-east-1" and trail["HasCustomEventSelectors"] is False
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == ["main"]
    assert ct.list_trails()["Trails"][0]["HomeRegion"] == "us-east-1"
    assert ct.get_trail_status(Name="main")["IsLogging"] is False
    ct.delete_trail(Name="main")
    assert code_of(lambda: ct.get_trail(Name="main")) == "TrailNotFoundException"


def test_bucket_must_exist_and_let_cloudtrail_write(lab):
    ct = lab.client("cloudtrail")
    assert code_of(lambda: ct.create_trail(Name="t1", S3BucketName="missing")) == "S3BucketDoesNotExistException"
    lab.client("s3").create_bucket(Bucket="no-policy")
    assert code_of(lambda: ct.create_trail(Name="t1", S3BucketName="no-policy")) == "InsufficientS3BucketPolicyException"
    assert ct.describe_trails()["trailList"] == []


@pytest.mark.parametrize("name", ["ab", "-bad", "bad-", "a..b", "192.168.5.4", "has space"])
def test_trail_name_rules(lab, bucket, name):
    assert code_of(lambda: lab.client("cloudtrail").create_trail(Name=name, S3BucketName=bucket)) == \
        "InvalidTrailNameException"


def test_duplicate_and_five_per_region(lab, bucket):
    ct = lab.client("cloudtrail")
    for i in range(5):
        ct.create_trail(Name=f"trail{i}", S3BucketName=bucket)
    assert code_of(lambda: ct.create_trail(Name="trail0", S3BucketName=bucket)) == "TrailAlreadyExistsException"
    assert code_of(lambda: ct.create_trail(Name="sixth", S3BucketName=bucket)) == "MaximumNumberOfTrailsExceededException"


def test_multi_region_trail_is_visible_everywhere_but_changed_only_at_home(lab, bucket):
    lab.client("cloudtrail").create_trail(Name="org", S3BucketName=bucket, IsMultiRegionTrail=True)
    away = lab.client("cloudtrail", region_name="eu-west-1")
    assert [t["Name"] for t in away.describe_trails()["trailList"]] == ["org"]
    assert away.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert code_of(lambda: away.stop_logging(Name="org")) == "InvalidHomeRegionException"
    assert code_of(lambda: away.delete_trail(Name="org")) == "InvalidHomeRegionException"


def test_multi_region_requires_global_events(lab, bucket):
    assert code_of(lambda: lab.client("cloudtrail").create_trail(
        Name="multi", S3BucketName=bucket, IsMultiRegionTrail=True, IncludeGlobalServiceEvents=False)) == \
        "InvalidParameterCombinationException"


def test_logging_state_and_times(lab, trail):
    ct = lab.client("cloudtrail")
    lab.advance(minutes=10)
    ct.stop_logging(Name=trail)
    status = ct.get_trail_status(Name=trail)
    assert status["IsLogging"] is False
    assert status["StartLoggingTime"] == lab.start and status["StopLoggingTime"] == lab.now


def test_event_selectors_round_trip(lab, trail):
    ct = lab.client("cloudtrail")
    assert ct.get_event_selectors(TrailName=trail)["EventSelectors"][0]["ReadWriteType"] == "All"
    ct.put_event_selectors(TrailName=trail, EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    assert ct.get_event_selectors(TrailName=trail)["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert ct.get_trail(Name=trail)["Trail"]["HasCustomEventSelectors"] is True
    assert code_of(lambda: ct.put_event_selectors(TrailName=trail, EventSelectors=[{}], AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}])) == \
        "InvalidParameterCombinationException"


def test_insight_selectors_are_refused_clearly(lab, trail):
    assert code_of(lambda: lab.client("cloudtrail").put_insight_selectors(
        TrailName=trail, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])) == "UnsupportedOperationException"
