"""S3 calls in CloudTrail: event source, names, data vs management, S3's requestParameters, regions."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError



def records(lab, where: str = "true") -> list[dict]:
    return [json.loads(r) for (r,) in lab.sql(f"SELECT record FROM cloudtrail_events WHERE {where} "
                                              "ORDER BY event_time, request_id").fetchall()]


def by_name(lab, name: str) -> dict:
    found = records(lab, f"event_name = '{name}'")
    assert found, name
    return found[-1]


def test_object_calls_are_data_events(lab):
    """Object-level calls are Data events with the object and bucket in ``resources``; bucket calls
    are Management events. https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html"""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="recorded")
    s3.put_object(Bucket="recorded", Key="a/b.txt", Body=b"hello")
    s3.get_object(Bucket="recorded", Key="a/b.txt")["Body"].read()
    s3.list_objects_v2(Bucket="recorded", Prefix="a/")
    put, get = by_name(lab, "PutObject"), by_name(lab, "GetObject")
    assert (put["eventCategory"], put["managementEvent"], put["readOnly"]) == ("Data", False, False)
    assert (get["eventCategory"], get["readOnly"]) == ("Data", True)
    assert put["eventSource"] == "s3.amazonaws.com" and put["awsRegion"] == "us-east-1"
    assert put["requestParameters"]["bucketName"] == "recorded" and put["requestParameters"]["key"] == "a/b.txt"
    assert put["resources"] == [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::recorded/a/b.txt"},
                                {"accountId": "123456789012", "type": "AWS::S3::Bucket",
                                 "ARN": "arn:aws:s3:::recorded"}]
    assert put["responseElements"] == {"x-amz-server-side-encryption": "AES256"}
    assert put["additionalEventData"]["bytesTransferredIn"] == 5
    assert get["additionalEventData"]["bytesTransferredOut"] == 5
    listing = by_name(lab, "ListObjects")  # ListObjectsV2 is logged as ListObjects with list-type 2
    assert listing["requestParameters"]["list-type"] == "2" and listing["eventCategory"] == "Data"
    create = by_name(lab, "CreateBucket")
    assert (create["eventCategory"], create["managementEvent"]) == ("Management", True)
    assert create["resources"][0]["type"] == "AWS::S3::Bucket"


def test_bucket_configuration_calls_in_s3s_words(lab):
    """PutPublicAccessBlock is logged as PutBucketPublicAccessBlock; requestParameters carry the
    sub-resource and the configuration. (Real records: shared datasets, invictus-ir.)"""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="configured")
    s3.put_public_access_block(Bucket="configured", PublicAccessBlockConfiguration={"BlockPublicAcls": False})
    s3.put_bucket_versioning(Bucket="configured", VersioningConfiguration={"Status": "Enabled"})
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
              "Resource": "arn:aws:s3:::configured"}]}
    s3.put_bucket_policy(Bucket="configured", Policy=json.dumps(policy))
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket="configured")
    pab = by_name(lab, "PutBucketPublicAccessBlock")
    assert pab["requestParameters"]["publicAccessBlock"] == ""
    assert pab["requestParameters"]["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is False
    versioning = by_name(lab, "PutBucketVersioning")["requestParameters"]
    assert versioning["versioning"] == "" and versioning["VersioningConfiguration"]["Status"] == "Enabled"
    assert by_name(lab, "PutBucketPolicy")["requestParameters"]["bucketPolicy"] == policy
    tagging = by_name(lab, "GetBucketTagging")
    assert (tagging["errorCode"], tagging["errorMessage"]) == ("NoSuchTagSet", "The TagSet does not exist")
    assert tagging["requestParameters"] == {**tagging["requestParameters"], "bucketName": "configured", "tagging": ""}


def test_calls_are_logged_in_the_buckets_region(lab):
    """A us-east-1 client working on a eu-west-1 bucket is logged in eu-west-1; a HeadObject that
    botocore reports as "404" is logged with S3's own NoSuchKey."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="west-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="west-data", Key="k", Body=b"1")
    with pytest.raises(ClientError):
        s3.head_object(Bucket="west-data", Key="missing")
    assert {r["awsRegion"] for r in records(lab, "event_source = 's3.amazonaws.com'")} == {"eu-west-1"}
    head = by_name(lab, "HeadObject")
    assert head["errorCode"] == "NoSuchKey" and head["eventCategory"] == "Data"


def test_service_principal_delivery_is_recorded_as_the_service(lab):
    """AWS service calls carry ``userIdentity.type`` AWSService and ``invokedBy``."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="delivery")
    with pytest.raises(ClientError):
        lab.service_client("s3", "config.amazonaws.com").put_object(Bucket="delivery", Key="x", Body=b"1")
    record = by_name(lab, "PutObject")
    assert record["userIdentity"] == {"type": "AWSService", "invokedBy": "config.amazonaws.com"}
    assert record["errorCode"] == "AccessDenied"
