"""Event selectors: validation and which events a trail logs.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
"""

from __future__ import annotations

import pytest

from awslab.cloudtrail import selectors
from awslab.errors import AWSError

WRITE = {"eventCategory": "Management", "readOnly": False, "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances"}
READ = {**WRITE, "readOnly": True, "eventName": "DescribeInstances"}
KMS = {**READ, "eventSource": "kms.amazonaws.com", "eventName": "Decrypt"}
GET_OBJECT = {"eventCategory": "Data", "readOnly": True, "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
              "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::logs-bucket/app/a.txt"},
                            {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::logs-bucket"}]}


def test_no_selectors_logs_all_management_events_and_no_data_events():
    assert selectors.logs(None, None, WRITE) and selectors.logs(None, None, READ)
    assert not selectors.logs(None, None, GET_OBJECT)


@pytest.mark.parametrize("kind, logged", [("All", {"w", "r"}), ("ReadOnly", {"r"}), ("WriteOnly", {"w"})])
def test_read_write_type(kind, logged):
    chosen = selectors.validate_basic([{"ReadWriteType": kind}])
    assert {name for name, rec in (("w", WRITE), ("r", READ)) if selectors.logs(chosen, None, rec)} == logged


def test_exclude_kms_events():
    chosen = selectors.validate_basic([{"ExcludeManagementEventSources": ["kms.amazonaws.com"]}])
    assert selectors.logs(chosen, None, READ) and not selectors.logs(chosen, None, KMS)
    with pytest.raises(AWSError) as raised:
        selectors.validate_basic([{"ExcludeManagementEventSources": ["ec2.amazonaws.com"]}])
    assert raised.value.code == "InvalidEventSelectorsException"


def test_s3_data_resources_by_prefix():
    chosen = selectors.validate_basic([{"IncludeManagementEvents": False, "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::logs-bucket/app/"]}]}])
    assert selectors.logs(chosen, None, GET_OBJECT)
    assert not selectors.logs(chosen, None, WRITE)
    other = selectors.validate_basic([{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::other/"]}]}])
    assert not selectors.logs(other, None, GET_OBJECT)
    everything = selectors.validate_basic([{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
    assert selectors.logs(everything, None, GET_OBJECT)


def test_at_most_250_data_resources_and_5_selectors():
    values = [f"arn:aws:s3:::bucket{i}/" for i in range(251)]
    with pytest.raises(AWSError):
        selectors.validate_basic([{"DataResources": [{"Type": "AWS::S3::Object", "Values": values}]}])
    selectors.validate_basic([{"DataResources": [{"Type": "AWS::S3::Object", "Values": values[:250]}]}])
    with pytest.raises(AWSError):
        selectors.validate_basic([{}] * 6)


def test_advanced_selectors_and_or_semantics():
    chosen = selectors.validate_advanced([
        {"Name": "writes", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                              {"Field": "readOnly", "Equals": ["false"]}]},
        {"Name": "app objects", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                   {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                                                   {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::logs-bucket/app/"]},
                                                   {"Field": "eventName", "NotEquals": ["DeleteObject", "PutObject"]}]},
    ])
    assert selectors.logs(None, chosen, WRITE)
    assert not selectors.logs(None, chosen, READ)
    assert selectors.logs(None, chosen, GET_OBJECT)
    assert not selectors.logs(None, chosen, {**GET_OBJECT, "eventName": "PutObject"})


@pytest.mark.parametrize("bad", [
    [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}],                       # no eventCategory
    [{"FieldSelectors": [{"Field": "eventCategory", "StartsWith": ["Manage"]}]}],            # Equals only
    [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}],                  # Data needs resources.type
    [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "color", "Equals": ["x"]}]}],
])
def test_invalid_advanced_selectors(bad):
    with pytest.raises(AWSError) as raised:
        selectors.validate_advanced(bad)
    assert raised.value.code == "InvalidEventSelectorsException"
