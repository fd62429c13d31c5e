"""S3 objects: bytes, metadata, conditional and ranged reads, versions, copies, deletes."""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab.errors import AWSError
from awslab.world.s3_objects import _byte_range, _parse_tagging


def error_of(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def s3(lab):
    client = lab.client("s3")
    client.create_bucket(Bucket="objects")
    return client


def test_put_get_head_keep_bytes_and_metadata(s3):
    """PutObject stores the bytes; GetObject streams them back with ETag (MD5), metadata, SSE.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html"""
    body = b'{"Records": []}'
    put = s3.put_object(Bucket="objects", Key="AWSLogs/log.json", Body=body, ContentType="application/json",
                        Metadata={"Signature": "abc123"})
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"' and put["ServerSideEncryption"] == "AES256"
    assert "VersionId" not in put  # versioning never enabled
    got = s3.get_object(Bucket="objects", Key="AWSLogs/log.json")
    assert isinstance(got["Body"], StreamingBody) and got["Body"].read() == body
    assert got["ContentLength"] == len(body) and got["ContentType"] == "application/json"
    assert got["Metadata"] == {"signature": "abc123"} and got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket="objects", Key="AWSLogs/log.json")
    assert head["ContentLength"] == len(body) and "Body" not in head
    assert s3.get_object(Bucket="objects", Key="AWSLogs/log.json", Range="bytes=1-9")["Body"].read() == body[1:10]
    assert s3.get_object(Bucket="objects", Key="AWSLogs/log.json", Range="bytes=-3")["Body"].read() == body[-3:]
    s3.put_object(Bucket="objects", Key="empty")
    assert s3.get_object(Bucket="objects", Key="empty")["ContentType"] == "binary/octet-stream"


def test_missing_objects_as_boto3_users_see_them(s3):
    """GetObject: NoSuchKey (404); HeadObject: code "404", message "Not Found" (no body on HEAD)."""
    with pytest.raises(ClientError) as get:
        s3.get_object(Bucket="objects", Key="nope")
    assert error_of(get) == ("NoSuchKey", "The specified key does not exist.", 404)
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket="objects", Key="nope")
    assert error_of(head) == ("404", "Not Found", 404)
    with pytest.raises(ClientError) as bucket:
        s3.get_object(Bucket="no-such-bucket-x", Key="nope")
    assert error_of(bucket)[0] == "NoSuchBucket"
    s3.delete_object(Bucket="objects", Key="nope")  # deleting a missing key succeeds (204)


def test_conditional_reads_and_writes(s3):
    """If-Match / If-None-Match on GET (412 / 304) and PUT (If-None-Match: * refuses overwrites).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html"""
    etag = s3.put_object(Bucket="objects", Key="c", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as mismatch:
        s3.get_object(Bucket="objects", Key="c", IfMatch='"0000"')
    assert error_of(mismatch)[0] == "PreconditionFailed" and error_of(mismatch)[2] == 412
    with pytest.raises(ClientError) as unchanged:
        s3.head_object(Bucket="objects", Key="c", IfNoneMatch=etag)
    assert error_of(unchanged) == ("304", "Not Modified", 304)
    with pytest.raises(ClientError) as get_unchanged:
        s3.get_object(Bucket="objects", Key="c", IfNoneMatch=etag)
    assert error_of(get_unchanged) == ("304", "Not Modified", 304)
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket="objects", Key="c", Body=b"v2", IfNoneMatch="*")
    assert error_of(exists)[0] == "PreconditionFailed"
    assert s3.get_object(Bucket="objects", Key="c")["Body"].read() == b"v1"
    with pytest.raises(ClientError) as bad_range:
        s3.get_object(Bucket="objects", Key="c", Range="bytes=10-20")
    assert error_of(bad_range) == ("InvalidRange", "The requested range is not satisfiable", 416)


def test_versioning_keeps_versions_and_adds_delete_markers(s3):
    """With versioning Enabled a put adds a version, a delete adds a delete marker, deleting a
    version id removes it for good. https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html"""
    s3.put_object(Bucket="objects", Key="doc", Body=b"before versioning")
    s3.put_bucket_versioning(Bucket="objects", VersioningConfiguration={"Status": "Enabled"})
    v2 = s3.put_object(Bucket="objects", Key="doc", Body=b"second")["VersionId"]
    marker = s3.delete_object(Bucket="objects", Key="doc")
    assert marker["DeleteMarker"] is True and marker["VersionId"] not in (v2, "null")
    with pytest.raises(ClientError) as hidden:
        s3.get_object(Bucket="objects", Key="doc")
    assert error_of(hidden)[0] == "NoSuchKey"
    assert s3.get_object(Bucket="objects", Key="doc", VersionId="null")["Body"].read() == b"before versioning"
    assert s3.get_object(Bucket="objects", Key="doc", VersionId=v2)["VersionId"] == v2
    with pytest.raises(ClientError) as marker_get:
        s3.get_object(Bucket="objects", Key="doc", VersionId=marker["VersionId"])
    assert error_of(marker_get)[2] == 405
    with pytest.raises(ClientError) as bad_id:
        s3.get_object(Bucket="objects", Key="doc", VersionId="not-a-version")
    assert error_of(bad_id) == ("InvalidArgument", "Invalid version id specified", 400)
    versions = s3.list_object_versions(Bucket="objects", Prefix="doc")
    assert [(v["VersionId"], v["IsLatest"]) for v in versions["Versions"]] == [(v2, False), ("null", False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in versions["DeleteMarkers"]] == [(marker["VersionId"], True)]
    removed = s3.delete_object(Bucket="objects", Key="doc", VersionId=marker["VersionId"])
    assert removed == {**removed, "DeleteMarker": True, "VersionId": marker["VersionId"]}
    assert s3.get_object(Bucket="objects", Key="doc")["Body"].read() == b"second"  # the marker is gone


def test_suspended_versioning_writes_the_null_version(s3):
    """Suspended: puts replace the null version, other versions stay.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html"""
    s3.put_bucket_versioning(Bucket="objects", VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket="objects", Key="k", Body=b"kept")["VersionId"]
    s3.put_bucket_versioning(Bucket="objects", VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket="objects", Key="k", Body=b"n1")["VersionId"] == "null"
    s3.put_object(Bucket="objects", Key="k", Body=b"n2")
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket="objects")["Versions"]]
    assert ids == ["null", kept]


def test_copy_and_delete_many(s3):
    """CopyObject copies bytes and metadata (or replaces them); copying onto itself unchanged is
    refused; DeleteObjects reports each key. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html"""
    s3.put_object(Bucket="objects", Key="src/a b.txt", Body=b"payload", Metadata={"m": "1"})
    copied = s3.copy_object(Bucket="objects", Key="dst/a.txt", CopySource={"Bucket": "objects", "Key": "src/a b.txt"})
    assert copied["CopyObjectResult"]["ETag"] == s3.head_object(Bucket="objects", Key="src/a b.txt")["ETag"]
    got = s3.get_object(Bucket="objects", Key="dst/a.txt")
    assert got["Body"].read() == b"payload" and got["Metadata"] == {"m": "1"}
    s3.copy_object(Bucket="objects", Key="dst/b.txt", CopySource="objects/src/a b.txt", MetadataDirective="REPLACE",
                   Metadata={"n": "2"})
    assert s3.head_object(Bucket="objects", Key="dst/b.txt")["Metadata"] == {"n": "2"}
    with pytest.raises(ClientError) as itself:
        s3.copy_object(Bucket="objects", Key="dst/a.txt", CopySource={"Bucket": "objects", "Key": "dst/a.txt"})
    assert error_of(itself)[0] == "InvalidRequest"
    result = s3.delete_objects(Bucket="objects", Delete={"Objects": [{"Key": "dst/a.txt"}, {"Key": "dst/b.txt"},
                                                                     {"Key": "never-there"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["dst/a.txt", "dst/b.txt", "never-there"]
    assert s3.list_objects_v2(Bucket="objects")["KeyCount"] == 1


def test_acl_on_objects_follows_object_ownership(s3):
    """With ACLs disabled only bucket-owner-full-control is accepted.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html"""
    s3.put_object(Bucket="objects", Key="ok", Body=b"1", ACL="bucket-owner-full-control")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="objects", Key="public", Body=b"1", ACL="public-read")
    assert error_of(refused) == ("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    grants = s3.get_object_acl(Bucket="objects", Key="ok")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_put_errors_change_nothing(lab, s3):
    before = lab.sql("SELECT count(*) FROM s3_objects").fetchall()
    with pytest.raises(ClientError) as long_key:
        s3.put_object(Bucket="objects", Key="k" * 1025, Body=b"1")
    assert error_of(long_key) == ("KeyTooLongError", "Your key is too long", 400)
    with pytest.raises(ClientError) as metadata:
        s3.put_object(Bucket="objects", Key="m", Body=b"1", Metadata={"big": "x" * 2100})
    assert error_of(metadata)[0] == "MetadataTooLarge"
    with pytest.raises(ClientError) as digest:
        s3.put_object(Bucket="objects", Key="d", Body=b"1", ContentMD5="AAAAAAAAAAAAAAAAAAAAAA==")
    assert error_of(digest)[0] == "BadDigest"
    assert lab.sql("SELECT count(*) FROM s3_objects").fetchall() == before


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30), st.integers(min_value=0, max_value=40))
def test_range_header_fuzz(spec, size):
    """Fuzz: any Range header gives offsets inside the object or S3's InvalidRange, nothing else."""
    try:
        start, end = _byte_range(spec, size)
    except AWSError as error:
        assert (error.code, error.status) == ("InvalidRange", 416)
        return
    assert 0 <= start <= max(end, 0) and end <= max(size - 1, 0) or size == 0


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_tagging_text_fuzz(text):
    """Fuzz: object tag text parses to a dict or S3's BadRequest (more than 10 tags)."""
    try:
        tags = _parse_tagging(text)
    except AWSError as error:
        assert error.code == "BadRequest"
        return
    assert tags is None or isinstance(tags, dict)


@pytest.fixture(scope="module")
def fuzz_s3():
    from awslab import Lab
    lab = Lab(strict=True)
    client = lab.client("s3")
    client.create_bucket(Bucket="fuzz-bucket")
    client.put_object(Bucket="fuzz-bucket", Key="source", Body=b"1")
    yield client
    lab.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.text(max_size=30), grant=st.text(max_size=30))
def test_copy_source_and_grant_headers_fuzz(fuzz_s3, source, grant):
    """Fuzz: any CopySource or Grant header gets S3's answer (success or an S3 error), nothing else."""
    try:
        fuzz_s3.copy_object(Bucket="fuzz-bucket", Key="target", CopySource=source)
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("NoSuchBucket", "NoSuchKey", "InvalidArgument", "InvalidRequest",
                                                   "NoSuchVersion", "MethodNotAllowed")
    try:
        fuzz_s3.put_object_acl(Bucket="fuzz-bucket", Key="source", GrantRead=grant)
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("AccessControlListNotSupported", "AccessDenied")
