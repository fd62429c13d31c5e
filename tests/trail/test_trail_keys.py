"""What a file's S3 key says, and pruning by it.

Key layout and file naming: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
Digest location: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
Lake results: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-download-cloudtrail-lake-query-results.html
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.trail.keys import keep, parse_key

UTC = timezone.utc
LOG = ("bucket/prefix/AWSLogs/111122223333/CloudTrail/us-east-2/2026/01/15/"
       "111122223333_CloudTrail_us-east-2_20260115T1205Z_cVOx0sEpC1XNoWMY.json.gz")


def test_log_file_key_gives_account_region_and_delivery_minute():
    """The documented name: AccountID_CloudTrail_RegionName_YYYYMMDDTHHmmZ_UniqueString.FileNameFormat."""
    key = parse_key(LOG)
    assert (key.kind, key.account, key.region) == ("log", "111122223333", "us-east-2")
    assert key.delivered == datetime(2026, 1, 15, 12, 5, tzinfo=UTC)
    assert key.day == datetime(2026, 1, 15, tzinfo=UTC)


def test_organization_trail_key_has_the_organization_folder():
    """Organization trails add o-ORGID between AWSLogs and the member account."""
    key = parse_key("AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2026/01/15/"
                    "111122223333_CloudTrail_eu-west-1_20260115T0000Z_abcdefghijklmnop.json.gz")
    assert (key.organization, key.account, key.region) == ("o-exampleorgid", "111122223333", "eu-west-1")


def test_digest_files_and_other_objects_are_recognised_not_read():
    """Digests live under CloudTrail-Digest and are named ..._CloudTrail-Digest_...; Config objects
    and Lake sign files are not trail logs."""
    digest = ("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2026/01/15/"
              "111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20260115T120000Z.json.gz")
    assert parse_key(digest).kind == "digest"
    assert parse_key("AWSLogs/111122223333/Config/ConfigWritabilityCheckFile").kind == "other"
    assert parse_key("AWSLogs/111122223333/CloudTrail-Lake/Query/2026/01/15/q-1/result_sign.json").kind == "lake_sign"
    assert parse_key("AWSLogs/111122223333/CloudTrail-Lake/Query/2026/01/15/q-1/result_1.csv.gz").kind == "lake_csv"
    assert parse_key("notes/README.md").kind == "other"
    assert parse_key("notes/README.md", explicit=True).kind == "json"  # the user named it


def test_insight_files_are_log_files():
    key = parse_key("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/15/"
                    "111122223333_CloudTrail-Insight_us-east-1_20260115T1205Z_abcdefghijklmnop.json.gz")
    assert key.kind == "log"


def test_start_prunes_exactly_files_delivered_before_it():
    """A file holds events from before its delivery minute ended, so only those can go."""
    key = parse_key(LOG)  # delivered 12:05
    assert keep(key, start=datetime(2026, 1, 15, 12, 5, 59, tzinfo=UTC))
    assert not keep(key, start=datetime(2026, 1, 15, 12, 6, 1, tzinfo=UTC))


def test_end_prunes_only_beyond_the_delivery_slack():
    """Late delivery has no documented bound: keep files delivered within the slack after end."""
    key = parse_key(LOG)
    end = datetime(2026, 1, 15, 11, 30, tzinfo=UTC)
    assert keep(key, end=end)  # 35 minutes later: could hold events before 11:30
    assert not keep(key, end=end, delivery_slack=timedelta(minutes=10))


def test_account_and_region_filters_use_the_key():
    key = parse_key(LOG)
    assert keep(key, accounts=frozenset({"111122223333"}), regions=frozenset({"us-east-2"}))
    assert not keep(key, accounts=frozenset({"444455556666"}))
    assert not keep(key, regions=frozenset({"eu-west-1"}))
    assert keep(parse_key("export.json", explicit=True), accounts=frozenset({"444455556666"}))  # no key: keep


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_path_parses_to_a_kind(path):
    """Arbitrary paths never raise; they get one of the known kinds."""
    assert parse_key(path).kind in {"log", "json", "lake_csv", "digest", "lake_sign", "other"}
    assert parse_key(path, explicit=True).kind in {"log", "json", "lake_csv", "digest", "lake_sign", "other"}
