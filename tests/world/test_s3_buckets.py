"""S3 buckets: create, list, delete, regions, naming, settings, and the Config facts they publish."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.errors import AWSError
from awslab.world.s3_store import check_bucket_name


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def s3(lab):
    return lab.client("s3")


@pytest.fixture
def facts(lab):
    seen: list[dict] = []
    lab.hub.subscribe("resource_changed", seen.append)
    return seen


def test_new_bucket_has_todays_defaults(s3):
    """New buckets: SSE-S3 default encryption, Block Public Access on, ACLs disabled.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html"""
    assert s3.create_bucket(Bucket="trail-logs")["Location"] == "/trail-logs"
    enc = s3.get_bucket_encryption(Bucket="trail-logs")["ServerSideEncryptionConfiguration"]
    assert enc["Rules"] == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
    pab = s3.get_public_access_block(Bucket="trail-logs")["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": True}
    rules = s3.get_bucket_ownership_controls(Bucket="trail-logs")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket="trail-logs").get("Status") is None
    assert s3.get_bucket_location(Bucket="trail-logs")["LocationConstraint"] is None
    acl = s3.get_bucket_acl(Bucket="trail-logs")
    assert acl["Grants"] == [{"Grantee": {"ID": acl["Owner"]["ID"], "Type": "CanonicalUser"},
                              "Permission": "FULL_CONTROL"}]


def test_bucket_errors_have_s3s_codes_and_statuses(s3):
    """https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList"""
    s3.create_bucket(Bucket="owned-bucket")
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket="no-such-bucket-here")
    assert error_of(missing) == ("NoSuchBucket", "The specified bucket does not exist", 404)
    with pytest.raises(ClientError) as bad:
        s3.create_bucket(Bucket="Has_Upper")
    assert error_of(bad) == ("InvalidBucketName", "The specified bucket is not valid.", 400)
    with pytest.raises(ClientError) as head:
        s3.head_bucket(Bucket="no-such-bucket-here")
    assert error_of(head) == ("404", "Not Found", 404)
    assert s3.head_bucket(Bucket="owned-bucket")["BucketRegion"] == "us-east-1"
    with pytest.raises(ClientError) as policy:
        s3.get_bucket_policy(Bucket="owned-bucket")
    assert error_of(policy) == ("NoSuchBucketPolicy", "The bucket policy does not exist", 404)
    with pytest.raises(ClientError) as tags:
        s3.get_bucket_tagging(Bucket="owned-bucket")
    assert error_of(tags) == ("NoSuchTagSet", "The TagSet does not exist", 404)


def test_recreating_an_owned_bucket(lab, s3):
    """BucketAlreadyOwnedByYou everywhere except us-east-1, which answers 200 (legacy).
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html"""
    s3.create_bucket(Bucket="mine-east")
    assert s3.create_bucket(Bucket="mine-east")["Location"] == "/mine-east"
    west = lab.client("s3", region_name="eu-west-1")
    west.create_bucket(Bucket="mine-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as again:
        west.create_bucket(Bucket="mine-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(again) == ("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket "
                               "succeeded and you already own it.", 409)


def test_location_constraints(lab, s3):
    """A regional endpoint needs a matching LocationConstraint; "us-east-1" is not a valid one.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html"""
    west = lab.client("s3", region_name="eu-west-1")
    with pytest.raises(ClientError) as unspecified:
        west.create_bucket(Bucket="west-default")
    assert error_of(unspecified)[0] == "IllegalLocationConstraintException"
    assert "unspecified location constraint" in error_of(unspecified)[1]
    with pytest.raises(ClientError) as east:
        s3.create_bucket(Bucket="east-explicit", CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert error_of(east) == ("InvalidLocationConstraint", "The specified location-constraint is not valid", 400)
    s3.create_bucket(Bucket="made-from-east", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert s3.get_bucket_location(Bucket="made-from-east")["LocationConstraint"] == "us-west-2"
    listed = {b["Name"]: b["BucketRegion"] for b in s3.list_buckets()["Buckets"]}
    assert listed == {"made-from-east": "us-west-2"}
    assert lab.sql("SELECT count(*) FROM s3_buckets").fetchall() == [(1,)]


def test_delete_bucket_only_when_empty(s3):
    """BucketNotEmpty (409) while any object version remains."""
    s3.create_bucket(Bucket="full-bucket")
    s3.put_object(Bucket="full-bucket", Key="a.txt", Body=b"1")
    with pytest.raises(ClientError) as full:
        s3.delete_bucket(Bucket="full-bucket")
    assert error_of(full) == ("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
    s3.delete_object(Bucket="full-bucket", Key="a.txt")
    s3.delete_bucket(Bucket="full-bucket")
    assert s3.list_buckets()["Buckets"] == []


def test_list_buckets_pages_and_filters(s3):
    """ListBuckets with MaxBuckets, ContinuationToken and Prefix.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html"""
    for name in ("app-a", "app-b", "app-c", "logs-a"):
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(MaxBuckets=2, Prefix="app-")
    assert [b["Name"] for b in first["Buckets"]] == ["app-a", "app-b"]
    rest = s3.list_buckets(MaxBuckets=2, Prefix="app-", ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["app-c"] and "ContinuationToken" not in rest


def test_settings_round_trip(s3):
    """Put/Get/Delete of versioning, logging, tags, encryption and Block Public Access."""
    s3.create_bucket(Bucket="settings-bucket")
    s3.create_bucket(Bucket="settings-logs")
    s3.put_bucket_versioning(Bucket="settings-bucket", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="settings-bucket")["Status"] == "Enabled"
    s3.put_bucket_logging(Bucket="settings-bucket", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "settings-logs", "TargetPrefix": "access/"}})
    assert s3.get_bucket_logging(Bucket="settings-bucket")["LoggingEnabled"] == {
        "TargetBucket": "settings-logs", "TargetPrefix": "access/"}
    s3.put_bucket_logging(Bucket="settings-bucket", BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket="settings-bucket")
    s3.put_bucket_tagging(Bucket="settings-bucket", Tagging={"TagSet": [{"Key": "team", "Value": "sec"}]})
    assert s3.get_bucket_tagging(Bucket="settings-bucket")["TagSet"] == [{"Key": "team", "Value": "sec"}]
    s3.delete_bucket_tagging(Bucket="settings-bucket")
    s3.put_bucket_encryption(Bucket="settings-bucket", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab"},
         "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket="settings-bucket")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    s3.delete_bucket_encryption(Bucket="settings-bucket")  # back to SSE-S3, never "no encryption"
    rule = s3.get_bucket_encryption(Bucket="settings-bucket")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    s3.delete_public_access_block(Bucket="settings-bucket")
    with pytest.raises(ClientError) as gone:
        s3.get_public_access_block(Bucket="settings-bucket")
    assert error_of(gone) == ("NoSuchPublicAccessBlockConfiguration",
                              "The public access block configuration was not found", 404)


def test_setting_errors_change_nothing(lab, s3):
    """Bad input gets S3's error and leaves the bucket as it was."""
    s3.create_bucket(Bucket="strict-bucket")
    before = lab.sql("SELECT * FROM s3_buckets").fetchall()
    with pytest.raises(ClientError) as dup:
        s3.put_bucket_tagging(Bucket="strict-bucket", Tagging={"TagSet": [{"Key": "a", "Value": "1"},
                                                                          {"Key": "a", "Value": "2"}]})
    assert error_of(dup) == ("InvalidTag", "Cannot provide multiple Tags with the same key", 400)
    with pytest.raises(ClientError) as system:
        s3.put_bucket_tagging(Bucket="strict-bucket", Tagging={"TagSet": [{"Key": "aws:x", "Value": "1"}]})
    assert error_of(system)[0] == "InvalidTag"
    with pytest.raises(ClientError) as target:
        s3.put_bucket_logging(Bucket="strict-bucket", BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "no-such-target", "TargetPrefix": ""}})
    assert error_of(target) == ("InvalidTargetBucketForLogging", "The target bucket for logging does not exist", 400)
    with pytest.raises(ClientError) as kms:
        s3.put_bucket_encryption(Bucket="strict-bucket", ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]})
    assert error_of(kms)[0] == "InvalidArgument"
    with pytest.raises(ClientError) as malformed:
        s3.put_bucket_policy(Bucket="strict-bucket", Policy="not json")
    assert error_of(malformed) == ("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400)
    assert lab.sql("SELECT * FROM s3_buckets").fetchall() == before


def test_config_facts_carry_the_whole_bucket(lab, s3, facts):
    """Every change publishes AWS::S3::Bucket with its supplementaryConfiguration, in the
    bucket's region. https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html"""
    west = lab.client("s3", region_name="us-west-2")
    west.create_bucket(Bucket="config-seen", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
              "Resource": "arn:aws:s3:::config-seen/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    s3.put_bucket_policy(Bucket="config-seen", Policy=json.dumps(policy))
    s3.put_bucket_versioning(Bucket="config-seen", VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_tagging(Bucket="config-seen", Tagging={"TagSet": [{"Key": "env", "Value": "lab"}]})
    s3.delete_bucket(Bucket="config-seen")
    assert [f["status"] for f in facts] == ["created", "updated", "updated", "updated", "deleted"]
    last = facts[-2]
    assert last["resource_type"] == "AWS::S3::Bucket" and last["resource_id"] == "config-seen"
    assert last["region"] == "us-west-2" and last["arn"] == "arn:aws:s3:::config-seen"
    assert last["configuration"]["name"] == "config-seen"
    supplementary = last["supplementary_configuration"]
    assert json.loads(supplementary["BucketPolicy"]["policyText"]) == policy
    assert supplementary["BucketVersioningConfiguration"] == {"status": "Suspended", "isMfaDeleteEnabled": None}
    assert supplementary["PublicAccessBlockConfiguration"] == {
        "blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": True, "restrictPublicBuckets": True}
    assert supplementary["ServerSideEncryptionConfiguration"]["rules"][0][
        "applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert supplementary["BucketTaggingConfiguration"] == {"tagSets": [{"tags": {"env": "lab"}}]}
    assert last["tags"] == {"env": "lab"}
    assert facts[0]["event_id"] and facts[0]["resource_creation_time"] == lab.now


_NAME_RULE = r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)" \
             r"(?!.*\.\.)(?!.*\.-)(?!.*-\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcXY019.-_", min_size=0, max_size=70))
def test_bucket_name_rules(name):
    """Fuzz: every name is either valid by the documented rules or refused with InvalidBucketName.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"""
    import ipaddress
    import re
    try:
        ipaddress.IPv4Address(name)
        is_ip = True
    except ValueError:
        is_ip = False
    expected = bool(re.match(_NAME_RULE, name)) and not is_ip
    try:
        check_bucket_name(name)
        accepted = True
    except AWSError as error:
        assert (error.code, error.status) == ("InvalidBucketName", 400)
        accepted = False
    assert accepted == expected
