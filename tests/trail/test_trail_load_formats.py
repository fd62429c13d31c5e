"""Every input shape the loader accepts, alone and mixed, and pruning by S3 key.

Formats: log files (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html),
LookupEvents (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html),
the console's event-history export (a Records object, as a log file), CloudTrail Lake results
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetQueryResults.html and
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-download-cloudtrail-lake-query-results.html).
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pytest

from awslab import trail

from trail_samples import INVICTUS, PLASO, STRATUS

UTC = timezone.utc


def invictus_records() -> list[dict]:
    return [r for path in sorted(INVICTUS.glob("*.json")) for r in json.loads(path.read_text())["Records"]]


def count(events, where: str = "true") -> int:
    return events.sql(f"SELECT count(*) FROM cloudtrail_events WHERE {where}").fetchall()[0][0]


def test_s3_delivery_tree_loads_and_skips_digests_and_other_objects(generated, generated_events):
    summary = generated_events.summary
    assert summary.records_loaded == generated.records
    assert summary.files_read == generated.files
    assert summary.records_rejected == 0
    skipped = generated_events.sql("SELECT kind, count(*) FROM load_files WHERE status = 'skipped' GROUP BY kind").fetchall()
    assert dict(skipped).keys() == {"digest", "other"}
    assert count(generated_events, "source_file LIKE '%CloudTrail-Digest%'") == 0


def test_real_loose_log_files_load_every_record():
    """invictus-ir: 55 un-gzipped log files of one trail hour; eventVersion 1.08 and 1.09 side by side."""
    events = trail.load(INVICTUS)
    assert events.summary.records_loaded == 2900 and events.summary.files_read == 55
    versions = dict(events.sql("SELECT event_version, count(*) FROM cloudtrail_events GROUP BY 1").fetchall())
    assert versions == {"1.08": 2865, "1.09": 35}
    assert count(events, "event_type = 'AwsServiceEvent' AND identity_type IS NULL") == 42


def test_json_arrays_of_records_keep_their_position():
    """Stratus Red Team logs are JSON arrays of records."""
    events = trail.load(STRATUS / "aws.credential-access.ec2-get-password-data.json")
    rows = events.sql("SELECT source_index FROM cloudtrail_events ORDER BY source_index").fetchall()
    assert [r[0] for r in rows] == list(range(34))
    assert dict(events.sql("SELECT format, records FROM load_files").fetchall()) == {"array": 34}


def test_lookup_events_json_lines_unwrap_cloudtrail_event():
    """plaso's fixture: one LookupEvents Event per line; the record is CloudTrailEvent, a JSON string."""
    events = trail.load(PLASO)
    assert events.summary.records_loaded == 6
    first = events.sql("SELECT event_name, event_time, aws_region, source_index, record FROM cloudtrail_events "
                       "ORDER BY source_index LIMIT 1").fetchall()[0]
    assert first[:4] == ("DescribeInstances", datetime(2022, 2, 7, 22, 23, 37, tzinfo=UTC), "ap-southeast-2", 0)
    assert "CloudTrailEvent" not in json.loads(first[4])
    assert count(events, "event_type = 'AwsServiceEvent' AND shared_event_id IS NOT NULL") == 1


def test_lookup_events_response_with_events_list(tmp_path):
    """The boto3/CLI response shape: {"Events": [...], "NextToken": ...}; ReadOnly is a string there."""
    lines = [json.loads(line) for line in PLASO.read_text().splitlines() if line.strip()]
    path = tmp_path / "lookup-events.json"
    path.write_text(json.dumps({"Events": lines, "NextToken": "abc"}, default=str))
    events = trail.load(path)
    assert count(events) == 6
    assert events.sql("SELECT format FROM load_files").fetchall() == [("LookupEvents",)]
    assert sorted(r[0] for r in events.sql("SELECT source_index FROM cloudtrail_events").fetchall()) == list(range(6))


def test_console_event_history_export_and_json_lines(tmp_path):
    """The console's JSON export is a Records object; JSON Lines hold one record per line (.gz too)."""
    records = invictus_records()[:50]
    (tmp_path / "event_history.json").write_text(json.dumps({"Records": records}, indent=2))
    with gzip.open(tmp_path / "records.jsonl.gz", "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in records[:20]) + "\n")
    events = trail.load(tmp_path / "event_history.json", tmp_path / "records.jsonl.gz")
    assert events.summary.records_loaded == 70
    formats = dict(events.sql("SELECT file[-20:], format FROM load_files").fetchall())
    assert sorted(formats.values()) == ["Records", "record"]


def test_concatenated_log_files_number_records_through_the_file(tmp_path):
    """`zcat *.json.gz > all.json` glues log objects together; positions count across them."""
    records = invictus_records()[:5]
    path = tmp_path / "all.json"
    path.write_text(json.dumps({"Records": records[:2]}) + "\n" + json.dumps({"Records": records[2:]}) + "\n")
    events = trail.load(path)
    got = events.sql("SELECT source_index, event_id FROM cloudtrail_events ORDER BY source_index").fetchall()
    assert got == [(i, r["eventID"]) for i, r in enumerate(records)]


LAKE_IDENTITY = json.dumps({"type": "IAMUser", "principalid": "AIDAEXAMPLE", "arn": "arn:aws:iam::123456789012:user/Alice",
                            "accountid": "123456789012", "username": "Alice"})


def test_lake_get_query_results_json(tmp_path):
    """QueryResultRows is a list of rows, each a list of one-key objects named in lower case."""
    rows = [[{"eventid": f"id-{i}"}, {"eventname": "ConsoleLogin"}, {"eventtime": "2023-01-05 13:51:00.000"},
             {"eventsource": "signin.amazonaws.com"}, {"useridentity": LAKE_IDENTITY}, {"readonly": "false"}]
            for i in range(3)]
    path = tmp_path / "lake.json"
    path.write_text(json.dumps({"QueryStatus": "FINISHED", "QueryResultRows": rows}))
    events = trail.load(path)
    got = events.sql("SELECT event_id, event_name, event_time, actor, identity_arn, read_only "
                     "FROM cloudtrail_events ORDER BY event_id").fetchall()
    assert got[0] == ("id-0", "ConsoleLogin", datetime(2023, 1, 5, 13, 51, tzinfo=UTC), "Alice",
                      "arn:aws:iam::123456789012:user/Alice", False)
    assert len(got) == 3


def test_lake_saved_results_csv(tmp_path):
    """Saved Lake results are gzipped CSV files (result_N.csv.gz) next to a result_sign.json."""
    folder = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail-Lake" / "Query" / "2023" / "01" / "05" / "q-1"
    folder.mkdir(parents=True)
    csv = "eventid,eventtime,eventname,awsregion,useridentity\n" + "".join(
        f'id-{i},2023-01-05 13:5{i}:00.000,GetObject,eu-west-1,"{LAKE_IDENTITY.replace(chr(34), chr(34) * 2)}"\n'
        for i in range(4))
    (folder / "result_1.csv.gz").write_bytes(gzip.compress(csv.encode()))
    (folder / "result_sign.json").write_text(json.dumps({"version": "1.0", "files": [], "hashSignature": "00"}))
    events = trail.load(tmp_path)
    assert count(events) == 4
    assert count(events, "actor = 'Alice' AND aws_region = 'eu-west-1'") == 4
    statuses = dict(events.sql("SELECT kind, status FROM load_files").fetchall())
    assert statuses == {"lake_csv": "loaded", "lake_sign": "skipped"}


def test_mixed_inputs_in_one_call(generated):
    events = trail.load(generated.root, INVICTUS, STRATUS, PLASO)
    assert events.summary.records_loaded == generated.records + 2900 + 310 + 6
    assert events.summary.records_rejected == 0


def test_time_filter_prunes_by_key_and_filters_records(generated, generated_events):
    start = datetime(2026, 1, 1, 0, 20, tzinfo=UTC)
    end = datetime(2026, 1, 1, 0, 40, tzinfo=UTC)
    events = trail.load(generated.root, start=start, end=end)
    expected = count(generated_events, f"event_time >= '{start.isoformat()}' AND event_time < '{end.isoformat()}'")
    assert events.summary.records_loaded == expected > 0
    assert events.summary.files_pruned > 0
    assert count(events, f"event_time < '{start.isoformat()}' OR event_time >= '{end.isoformat()}'") == 0


def test_pruned_files_are_never_read(tmp_path):
    """A corrupt file outside the filters causes no error: its bytes are never parsed."""
    old = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2020/01/01"
    old.mkdir(parents=True)
    (old / "111122223333_CloudTrail_us-east-1_20200101T0000Z_aaaaaaaaaaaaaaaa.json.gz").write_bytes(b"\x1f\x8bbroken")
    other_region = tmp_path / "AWSLogs/111122223333/CloudTrail/eu-west-3/2026/01/01"
    other_region.mkdir(parents=True)
    (other_region / "111122223333_CloudTrail_eu-west-3_20260101T0000Z_bbbbbbbbbbbbbbbb.json").write_text("not json")
    events = trail.load(tmp_path, start="2025-01-01", regions=["us-east-1"])
    assert events.summary.files_pruned == 2 and events.summary.files_failed == 0
    assert events.load_errors.fetchall() == []


def test_account_and_region_filters(generated, generated_events):
    events = trail.load(generated.root, regions="eu-west-1")
    assert events.summary.records_loaded == count(generated_events, "aws_region = 'eu-west-1'")
    assert trail.load(generated.root, accounts=["000000000000"]).summary.records_loaded == 0


def test_records_without_a_key_are_filtered_by_their_fields():
    """Loose files have no account or region in their path: the record's own fields decide."""
    events = trail.load(STRATUS, regions=["us-north-2r"])  # Stratus regions are anonymised, not real
    assert 0 < events.summary.records_loaded < 310
    assert count(events, "aws_region <> 'us-north-2r'") == 0


def test_a_log_file_bigger_than_the_default_object_size_loads(tmp_path):
    """DuckDB's JSON reader defaults to 16 MB objects; a busy trail's file can be larger. With the
    reader held to that default, the file is retried alone with a buffer sized from its gzip trailer."""
    records = invictus_records()
    big = {"Records": (records * 6)[:14000]}
    body = json.dumps(big).encode()
    assert len(body) > 16 * 2**20
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20230710T1200Z_bigbigbigbigbigb.json.gz"
    path.write_bytes(gzip.compress(body, compresslevel=1))
    assert trail.load(path).summary.records_loaded == 14000
    held = trail.load(path, maximum_object_size=16 * 2**20)
    assert held.summary.records_loaded == 14000
    assert "maximum_object_size" in held.sql("SELECT note FROM load_files").fetchall()[0][0]


def test_gz_name_on_a_plain_file_still_loads(tmp_path):
    """Browsers often gunzip a downloaded .json.gz but keep its name."""
    path = tmp_path / "111122223333_CloudTrail_us-east-1_20230710T1200Z_plainplainplainp.json.gz"
    path.write_text(json.dumps({"Records": invictus_records()[:3]}))
    events = trail.load(path)
    assert events.summary.records_loaded == 3
    assert "not gzip" in events.sql("SELECT note FROM load_files").fetchall()[0][0]


def test_loading_into_a_database_file_appends_and_skips_files_already_loaded(tmp_path):
    db = tmp_path / "trail.duckdb"
    first = trail.load(INVICTUS, db=db)
    assert first.summary.records_loaded == 2900
    first.close()
    again = trail.load(INVICTUS, STRATUS, db=db)
    assert again.summary.files_already_loaded == 55
    assert again.summary.records_loaded == 310
    assert len(again) == 3210


def test_empty_file_loads_nothing_and_says_so(tmp_path):
    (tmp_path / "empty.json").write_text("")
    events = trail.load(tmp_path / "empty.json")
    assert events.summary.files_read == 1 and events.summary.records_loaded == 0
    assert "empty" in events.sql("SELECT note FROM load_files").fetchall()[0][0]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        trail.load(tmp_path / "nowhere")
