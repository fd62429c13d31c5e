"""Bucket policies, Block Public Access and ACLs: who may reach a bucket."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def cloudtrail_bucket_policy(bucket: str) -> str:
    """The bucket policy CloudTrail's documentation asks for.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"""
    trail = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringEquals": {"aws:SourceArn": trail}}},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail}}},
    ]})


@pytest.fixture
def s3(lab):
    client = lab.client("s3")
    client.create_bucket(Bucket="trail-bucket")
    return client


def test_service_principals_need_the_bucket_policy(lab, s3):
    """CloudTrail delivers only where the bucket policy grants cloudtrail.amazonaws.com s3:PutObject
    (with the bucket-owner-full-control ACL, under AWSLogs/<account>/)."""
    cloudtrail = lab.service_client("s3", "cloudtrail.amazonaws.com")
    key = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/01/01/file.json.gz"
    with pytest.raises(ClientError) as no_policy:
        cloudtrail.put_object(Bucket="trail-bucket", Key=key, Body=b"gz", ACL="bucket-owner-full-control")
    assert error_of(no_policy) == ("AccessDenied", "Access Denied", 403)
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=cloudtrail_bucket_policy("trail-bucket"))
    cloudtrail.put_object(Bucket="trail-bucket", Key=key, Body=b"gz", ACL="bucket-owner-full-control")
    assert cloudtrail.get_bucket_acl(Bucket="trail-bucket")["Grants"]
    with pytest.raises(ClientError):  # outside the granted prefix
        cloudtrail.put_object(Bucket="trail-bucket", Key="elsewhere/file", Body=b"gz", ACL="bucket-owner-full-control")
    with pytest.raises(ClientError):  # without the required ACL
        cloudtrail.put_object(Bucket="trail-bucket", Key=key, Body=b"gz")
    with pytest.raises(ClientError):  # another service is not granted
        lab.service_client("s3", "config.amazonaws.com").put_object(
            Bucket="trail-bucket", Key=key, Body=b"gz", ACL="bucket-owner-full-control")
    # the learner, an IAM user of the account, needs no grant
    assert s3.get_object(Bucket="trail-bucket", Key=key)["Body"].read() == b"gz"


def test_explicit_deny_applies_to_everyone_but_root_keeps_the_policy(lab, s3):
    """An explicit Deny in a bucket policy overrides any Allow; the bucket owner's root can still
    change the policy. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""
    s3.put_object(Bucket="trail-bucket", Key="evidence.json", Body=b"{}")
    deny = {"Version": "2012-10-17", "Statement": [{"Sid": "NoDelete", "Effect": "Deny", "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
            "Resource": ["arn:aws:s3:::trail-bucket", "arn:aws:s3:::trail-bucket/*"]}]}
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps(deny))
    with pytest.raises(ClientError) as denied:
        s3.delete_object(Bucket="trail-bucket", Key="evidence.json")
    code, message, status = error_of(denied)
    assert (code, status) == ("AccessDenied", 403)
    assert "s3:DeleteObject" in message and "explicit deny in a resource-based policy" in message
    assert lab.sql("SELECT count(*) FROM s3_objects").fetchall() == [(1,)]
    with pytest.raises(ClientError):
        s3.delete_bucket_policy(Bucket="trail-bucket")
    with lab.as_principal("root"):
        s3.delete_bucket_policy(Bucket="trail-bucket")
    s3.delete_object(Bucket="trail-bucket", Key="evidence.json")


def test_block_public_access_refuses_public_policies_and_acls(s3):
    """BlockPublicPolicy refuses a policy granting "*"; BlockPublicAcls refuses public ACLs.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::trail-bucket/*"}]})
    with pytest.raises(ClientError) as blocked:
        s3.put_bucket_policy(Bucket="trail-bucket", Policy=public)
    assert error_of(blocked)[0] == "AccessDenied" and "BlockPublicPolicy" in error_of(blocked)[1]
    s3.put_public_access_block(Bucket="trail-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=public)
    assert s3.get_bucket_policy_status(Bucket="trail-bucket")["PolicyStatus"]["IsPublic"] is True
    with pytest.raises(ClientError) as acls_off:
        s3.put_bucket_acl(Bucket="trail-bucket", ACL="public-read")
    assert error_of(acls_off) == ("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    s3.put_bucket_ownership_controls(Bucket="trail-bucket",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_bucket_acl(Bucket="trail-bucket", ACL="public-read")
    grants = s3.get_bucket_acl(Bucket="trail-bucket")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in grants
    s3.put_public_access_block(Bucket="trail-bucket", PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    with pytest.raises(ClientError) as public_acl:
        s3.put_bucket_acl(Bucket="trail-bucket", ACL="public-read-write")
    assert error_of(public_acl) == ("AccessDenied", "Access Denied", 403)


def test_restricted_policy_is_not_public(s3):
    """A "*" principal pinned by aws:SourceAccount is not public (S3's "meaning of public")."""
    restricted = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::trail-bucket/*",
                             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=restricted)
    assert s3.get_bucket_policy_status(Bucket="trail-bucket")["PolicyStatus"]["IsPublic"] is False


def test_bucket_policy_grammar(s3):
    """MalformedPolicy for what S3 refuses: missing principal, non-S3 actions, foreign resources,
    unknown principals."""
    def statement(**fields):
        base = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::trail-bucket/*"}
        base.update(fields)
        return json.dumps({"Version": "2012-10-17", "Statement": [{k: v for k, v in base.items() if v is not None}]})

    cases = [
        (statement(Principal=None), "Missing required field Principal"),
        (statement(Action="ec2:RunInstances"), "Policy has invalid action"),
        (statement(Resource="arn:aws:s3:::other-bucket/*"), "Policy has invalid resource"),
        (statement(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/nobody"}), "Invalid principal in policy"),
        (statement(Effect="Maybe"), "Invalid effect: Maybe"),
    ]
    for policy, message in cases:
        with pytest.raises(ClientError) as bad:
            s3.put_bucket_policy(Bucket="trail-bucket", Policy=policy)
        assert error_of(bad) == ("MalformedPolicy", message, 400)


def test_config_delivery_with_its_documented_policy(lab, s3):
    """AWS Config's bucket policy (condition key spelled AWS:SourceAccount: keys are case-insensitive).
    https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html"""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSConfigBucketPermissionsCheck", "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::trail-bucket",
         "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}},
        {"Sid": "AWSConfigBucketExistenceCheck", "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
         "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::trail-bucket",
         "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}},
        {"Sid": "AWSConfigBucketDelivery", "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::trail-bucket/AWSLogs/{ACCOUNT}/Config/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "AWS:SourceAccount": ACCOUNT}}},
    ]}
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps(policy))
    config = lab.service_client("s3", "config.amazonaws.com")
    config.head_bucket(Bucket="trail-bucket")
    config.get_bucket_acl(Bucket="trail-bucket")
    config.put_object(Bucket="trail-bucket", Key=f"AWSLogs/{ACCOUNT}/Config/ConfigWritabilityCheckFile", Body=b"",
                      ACL="bucket-owner-full-control")
    with pytest.raises(ClientError) as not_granted:
        config.get_object(Bucket="trail-bucket", Key=f"AWSLogs/{ACCOUNT}/Config/ConfigWritabilityCheckFile")
    assert error_of(not_granted)[0] == "AccessDenied"
