"""Bad input is reported, not fatal: every problem is a row of load_errors, nothing readable is lost."""

from __future__ import annotations

import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab import trail
from trail_samples import INVICTUS, STRATUS

LOG_NAME = "111122223333_CloudTrail_us-east-1_20230710T1200Z_{}.json.gz"


def records(n: int) -> list[dict]:
    found = []
    for path in sorted(INVICTUS.glob("*.json")):
        found.extend(json.loads(path.read_text())["Records"])
        if len(found) >= n:
            return found[:n]
    return found


def errors(events) -> list[tuple]:
    return [tuple(row[:3]) for row in events.load_errors.fetchall()]


def test_truncated_gzip_salvages_complete_records_and_reports_where(tmp_path):
    good = tmp_path / LOG_NAME.format("goodgoodgoodgood")
    good.write_bytes(gzip.compress(json.dumps({"Records": records(40)}).encode()))
    whole = gzip.compress(json.dumps({"Records": records(200)}).encode())
    cut = tmp_path / LOG_NAME.format("cutcutcutcutcutc")
    cut.write_bytes(whole[: len(whole) // 2])
    events = trail.load(tmp_path)
    summary = events.summary
    assert summary.files_read == 2 and summary.files_failed == 0
    salvaged = events.sql(f"SELECT count(*) FROM cloudtrail_events WHERE source_file = '{cut}'").fetchall()[0][0]
    assert 0 < salvaged < 200
    assert summary.records_loaded == 40 + salvaged
    [(file, position, reason)] = errors(events)
    assert file == str(cut) and position.startswith("byte ") and "truncated" in reason
    assert f"{salvaged} complete records" in reason
    status = events.sql(f"SELECT status FROM load_files WHERE file = '{cut}'").fetchall()
    assert status == [("partial",)]


def test_a_file_that_is_not_json_fails_alone(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps({"Records": records(5)}))
    (tmp_path / "notes.json").write_text("these are my notes, not JSON")
    events = trail.load(tmp_path)
    assert events.summary.records_loaded == 5 and events.summary.files_failed == 1
    [(file, position, reason)] = errors(events)
    assert file.endswith("notes.json") and "Malformed JSON" in reason


def test_records_that_are_not_objects_are_rejected_with_their_position(tmp_path):
    good = records(2)
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"Records": [good[0], 42, "text", None, [1], good[1]]}))
    events = trail.load(path)
    assert events.summary.records_loaded == 2 and events.summary.records_rejected == 4
    rejected = {position: reason for _, position, reason in errors(events)}
    assert set(rejected) == {"record 1", "record 2", "record 3", "record 4"}
    assert rejected["record 2"] == "record is not a JSON object (it is varchar)"
    kept = events.sql("SELECT source_index FROM cloudtrail_events ORDER BY 1").fetchall()
    assert kept == [(0,), (5,)]


def test_json_lines_with_a_broken_line_keep_the_good_lines(tmp_path):
    lines = [json.dumps(r) for r in records(4)]
    lines.insert(2, '{"eventVersion": "1.08", "eventName": ')  # cut mid-record
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")
    events = trail.load(path)
    assert events.summary.records_loaded == 4 and events.summary.records_rejected == 1
    assert errors(events) == [(str(path), "line 2", "not valid JSON")]
    positions = [r[0] for r in events.sql("SELECT source_index FROM cloudtrail_events ORDER BY 1").fetchall()]
    assert positions == [0, 1, 3, 4]


def test_invalid_cloudtrail_event_string_is_rejected(tmp_path):
    """LookupEvents carries the record as a JSON string; a damaged one cannot be a record."""
    good = {"EventId": "a", "CloudTrailEvent": json.dumps(records(1)[0])}
    bad = {"EventId": "b", "CloudTrailEvent": '{"eventVersion": "1.08", '}
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps({"Events": [good, bad]}))
    events = trail.load(path)
    assert events.summary.records_loaded == 1
    assert errors(events) == [(str(path), "record 1", "CloudTrailEvent is not a JSON object")]


def test_objects_that_are_not_records_are_named_as_such(tmp_path):
    path = tmp_path / "things.json"
    path.write_text(json.dumps([records(1)[0], {"hello": "world"}]))
    events = trail.load(path)
    assert events.summary.records_loaded == 1
    [(_, position, reason)] = errors(events)
    assert position == "record 1" and reason.startswith("not a CloudTrail record")


def test_a_json_file_that_is_not_a_trail_is_skipped_not_an_error(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": "1.0"}))
    events = trail.load(tmp_path / "package.json")
    assert events.summary.files_skipped == 1 and events.load_errors.fetchall() == []


def test_damaged_files_do_not_cost_the_good_ones_in_the_same_chunk(tmp_path):
    """Many files in one chunk, a few bad ones among them: every good record still loads."""
    for i in range(30):
        (tmp_path / LOG_NAME.format(f"good{i:012d}")).write_bytes(
            gzip.compress(json.dumps({"Records": records(3)}).encode()))
    (tmp_path / LOG_NAME.format("badbadbadbadbad1")).write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / LOG_NAME.format("badbadbadbadbad2")).write_bytes(gzip.compress(b"<html>not json</html>"))
    events = trail.load(tmp_path)
    assert events.summary.records_loaded == 90
    assert events.summary.files_failed == 2
    assert len(errors(events)) == 2


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300), gz=st.booleans())
def test_any_bytes_never_raise(tmp_path, content, gz):
    """Arbitrary file content: the load completes, and the file is read, skipped or reported."""
    path = tmp_path / ("fuzz.json.gz" if gz else "fuzz.json")
    path.write_bytes(gzip.compress(content) if gz and content[:1] != b"x" else content)
    events = trail.load(path)
    status = events.sql("SELECT status FROM load_files").fetchall()[0][0]
    assert status in ("loaded", "partial", "failed", "skipped")
    if status == "failed":
        assert len(events.load_errors.fetchall()) >= 1
    events.close()


json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=15)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=json_value)
def test_any_json_document_is_loaded_or_explained(tmp_path, document):
    """Any JSON document: every item it holds is a loaded record or a load_errors row."""
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"Records": document if isinstance(document, list) else [document]}))
    events = trail.load(path)
    items = len(document) if isinstance(document, list) else 1
    assert events.summary.records_loaded + events.summary.records_rejected == items
    events.close()


def test_real_samples_load_without_any_error(samples):
    assert samples.summary.records_loaded == 3216 and samples.summary.records_rejected == 0
    assert samples.load_errors.fetchall() == []
    assert STRATUS.exists()
