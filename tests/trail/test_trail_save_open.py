"""Saving a loaded trail to Parquet or DuckDB and reopening it instantly; Events over any connection."""

from __future__ import annotations

import time

import duckdb
import pytest

from awslab import trail
from awslab.records import CREATE_EVENTS_TABLE, EVENTS_COLUMNS
from awslab.trail import Events


@pytest.mark.parametrize("suffix", [".parquet", ".duckdb"])
def test_save_and_reopen(samples, tmp_path, suffix):
    path = samples.save(tmp_path / f"trail{suffix}")
    started = time.perf_counter()
    reopened = trail.open(path)
    assert time.perf_counter() - started < 2
    assert len(reopened) == len(samples) == 3216
    assert reopened.summary.records_loaded == 3216 and reopened.summary.files_read == 91
    columns = reopened.sql("SELECT * FROM cloudtrail_events LIMIT 0").columns
    assert columns == [name for name, _, _ in EVENTS_COLUMNS]
    types = dict(reopened.sql("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = 'cloudtrail_events'").fetchall())
    assert types["event_time"] == "TIMESTAMP WITH TIME ZONE" and types["record"] == "JSON"
    assert reopened.ask("cloudtrail_tampering").fetchall() == samples.ask("cloudtrail_tampering").fetchall()
    reopened.close()


def test_save_refuses_other_formats(samples, tmp_path):
    with pytest.raises(ValueError, match="parquet or .duckdb"):
        samples.save(tmp_path / "trail.csv")


def test_events_wraps_any_connection_with_the_table():
    """The lab's own connection has cloudtrail_events: the catalogue works on it unchanged."""
    con = duckdb.connect()
    con.execute(CREATE_EVENTS_TABLE)
    events = Events(con)
    assert len(events) == 0 and events.summary.records_loaded == 0
    assert events.ask("root_usage").fetchall() == []
    assert events.load_errors.fetchall() == []


def test_repr_says_what_was_loaded(samples):
    assert "3,216 records loaded" in repr(samples)


def test_refresh_runs_before_every_read():
    """The lab stages its CloudTrail records; Events(lab_db, refresh=flush) sees them all."""
    con = duckdb.connect()
    con.execute(CREATE_EVENTS_TABLE)
    calls = []
    events = Events(con, refresh=lambda: calls.append(1))
    len(events)
    events.ask("identities").fetchall()
    events.sql("SELECT 1").fetchall()
    assert len(calls) == 3
