"""Listing keys: prefixes, delimiters, paging, URL encoding, checked against a model of S3's rules.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-prefixes.html
"""

from __future__ import annotations

import itertools

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab import Lab
from awslab.errors import AWSError
from awslab.world.s3_listing import decode_token

_names = itertools.count()


def model(keys: set[str], prefix: str, delimiter: str) -> list[tuple[str, bool]]:
    """What S3 lists: keys under the prefix, rolled up at the first delimiter, in UTF-8 order."""
    entries = set()
    for key in keys:
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix):]
        if delimiter and delimiter in rest:
            entries.add((prefix + rest.split(delimiter, 1)[0] + delimiter, True))
        else:
            entries.add((key, False))
    return sorted(entries, key=lambda e: e[0].encode())


@pytest.fixture(scope="module")
def shared_lab():
    lab = Lab(strict=True)
    yield lab
    lab.close()


def test_delimiter_rolls_keys_into_common_prefixes(lab):
    """The documented example: keys under photos/ grouped by year with Delimiter "/"."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="photos-bucket")
    for key in ("sample.jpg", "photos/2006/January/sample.jpg", "photos/2006/February/sample2.jpg",
                "photos/2006/February/sample3.jpg", "photos/2006/February/sample4.jpg"):
        s3.put_object(Bucket="photos-bucket", Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket="photos-bucket", Delimiter="/")
    assert [c["Key"] for c in top["Contents"]] == ["sample.jpg"]
    assert top["CommonPrefixes"] == [{"Prefix": "photos/"}] and top["KeyCount"] == 2
    year = s3.list_objects_v2(Bucket="photos-bucket", Prefix="photos/2006/", Delimiter="/")
    assert [p["Prefix"] for p in year["CommonPrefixes"]] == ["photos/2006/February/", "photos/2006/January/"]
    assert "Contents" not in year
    v1 = s3.list_objects(Bucket="photos-bucket", Prefix="photos/2006/", Delimiter="/", MaxKeys=1)
    assert v1["IsTruncated"] and v1["NextMarker"] == "photos/2006/February/"
    after = s3.list_objects(Bucket="photos-bucket", Prefix="photos/2006/", Delimiter="/", Marker=v1["NextMarker"])
    assert [p["Prefix"] for p in after["CommonPrefixes"]] == ["photos/2006/January/"]
    assert s3.list_objects_v2(Bucket="photos-bucket", StartAfter="photos/2006/January/sample.jpg")["Contents"][0][
        "Key"] == "sample.jpg"


def test_bad_continuation_token(lab):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="token-bucket")
    with pytest.raises(ClientError) as bad:
        s3.list_objects_v2(Bucket="token-bucket", ContinuationToken="not-a-token")
    assert bad.value.response["Error"]["Code"] == "InvalidArgument"
    assert bad.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


_keys = st.sets(st.text(alphabet="ab/é+ %", min_size=1, max_size=5), min_size=0, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=_keys, prefix=st.sampled_from(["", "a", "a/", "é"]), delimiter=st.sampled_from(["", "/", "+"]),
       page=st.integers(min_value=1, max_value=4))
def test_paging_matches_the_model(shared_lab, keys, prefix, delimiter, page):
    """Property: paging ListObjectsV2 and ListObjects (any page size) yields exactly S3's listing."""
    s3 = shared_lab.client("s3")
    bucket = f"listing-{next(_names)}"
    s3.create_bucket(Bucket=bucket)
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    expected = model(keys, prefix, delimiter)
    for operation in ("list_objects_v2", "list_objects"):
        seen = []
        for result in s3.get_paginator(operation).paginate(Bucket=bucket, Prefix=prefix, Delimiter=delimiter,
                                                           PaginationConfig={"PageSize": page}):
            assert result.get("KeyCount", len(result.get("Contents", [])) + len(result.get("CommonPrefixes", [])))\
                <= page
            seen += [(c["Key"], False) for c in result.get("Contents", [])]
            seen += [(p["Prefix"], True) for p in result.get("CommonPrefixes", [])]
        assert sorted(seen, key=lambda e: e[0].encode()) == expected, operation
    versions = []
    for result in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix,
                                                                    Delimiter=delimiter,
                                                                    PaginationConfig={"PageSize": page}):
        versions += [(v["Key"], False) for v in result.get("Versions", [])]
        versions += [(p["Prefix"], True) for p in result.get("CommonPrefixes", [])]
    assert sorted(versions, key=lambda e: e[0].encode()) == expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_continuation_token_fuzz(token):
    """Fuzz: any token decodes to an entry or gives S3's InvalidArgument."""
    try:
        entry, is_prefix = decode_token(token)
    except AWSError as error:
        assert (error.code, error.status) == ("InvalidArgument", 400)
        return
    assert isinstance(entry, str) and isinstance(is_prefix, bool)
