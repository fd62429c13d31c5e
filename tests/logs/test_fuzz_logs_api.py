"""Fuzzing the Logs API: arbitrary input gets AWS's error or a correct answer, never another Python exception.

Rules from LAPI:PutLogEvents, LAPI:FilterLogEvents and LAPI:GetLogEvents; FilterLogEvents' bulk (SQL) answer is
checked against the per-message engine (LG:FilterAndPatternSyntax).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab import Lab
from awslab.errors import AWSError
from awslab.logs.patterns import compile_filter_pattern

START_MS = 1767225600000
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def lab():
    shared = Lab(start="2026-01-01T00:00:00Z", strict=True)
    logs = shared.client("logs")
    logs.create_log_group(logGroupName="fuzz")
    logs.create_log_stream(logGroupName="fuzz", logStreamName="s")
    messages = ['{"a": 1, "b": "x"}', '{"a": "1"}', "ERROR 404 /x", '1.2.3.4 - - [t] "GET /" 404 12', "plain text",
                '{"a": [1, 2], "c": {"d": true}}', "WARN a=b", '[1, 2]', "é ✓ 😀"]
    logs.put_log_events(logGroupName="fuzz", logStreamName="s",
                        logEvents=[{"timestamp": START_MS - 1000 + i, "message": m} for i, m in enumerate(messages)])
    yield shared
    shared.close()


EVENT = st.fixed_dictionaries({
    "timestamp": st.one_of(st.integers(START_MS - 20 * 86_400_000, START_MS + 5 * 3_600_000),
                           st.integers(0, 2**40)),
    "message": st.text(min_size=1, max_size=60),
})


@SETTINGS
@given(events=st.lists(EVENT, min_size=1, max_size=8))
def test_put_log_events_answers_or_refuses(lab, events):
    logs = lab.client("logs")
    before = lab.sql("SELECT count(*) FROM logs_events").fetchall()[0][0]
    try:
        response = logs.put_log_events(logGroupName="fuzz", logStreamName="s", logEvents=events)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidParameterException"
        assert lab.sql("SELECT count(*) FROM logs_events").fetchall()[0][0] == before
        return
    rejected = response.get("rejectedLogEventsInfo", {})
    stored = lab.sql("SELECT count(*) FROM logs_events").fetchall()[0][0] - before
    too_old = max(rejected.get("tooOldLogEventEndIndex", 0), rejected.get("expiredLogEventEndIndex", 0))
    too_new = len(events) - rejected.get("tooNewLogEventStartIndex", len(events))
    assert stored == len(events) - too_old - too_new
    lab.db.execute("DELETE FROM logs_events WHERE sequence > (SELECT min(sequence) + 8 FROM logs_events)")


PATTERN = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["{ $.a = 1 }", "{ $.a = * }", "{ $.c.d IS TRUE }", "[ip, id, user, t, req, status = 404, bytes]",
                     "ERROR -WARN", "?ERROR ?WARN", '"plain text"', "%[0-9]+%", "{ $.a[0] = 1 }", "[..., status, bytes]",
                     "{ $.b = \"x\" || $.a = \"1\" }", "[w1, w2 = a*, ...]"]),
)


@SETTINGS
@given(pattern=PATTERN)
def test_filter_log_events_agrees_with_the_engine(lab, pattern):
    logs = lab.client("logs")
    try:
        compiled = compile_filter_pattern(pattern)
    except AWSError as error:
        with pytest.raises(ClientError) as excinfo:
            logs.filter_log_events(logGroupName="fuzz", filterPattern=pattern, startTime=START_MS - 1000, endTime=START_MS)
        assert excinfo.value.response["Error"]["Code"] == error.code == "InvalidParameterException"
        return
    found = logs.filter_log_events(logGroupName="fuzz", filterPattern=pattern, startTime=START_MS - 1000, endTime=START_MS)
    messages = [m for (m,) in lab.sql("SELECT message FROM logs_events WHERE timestamp BETWEEN "
                                      "make_timestamptz((1767225600000 - 1000) * 1000) AND make_timestamptz(1767225600000 * 1000) "
                                      "ORDER BY timestamp, sequence").fetchall()]
    assert [e["message"] for e in found["events"]] == [m for m in messages if compiled.matches(m)]


@SETTINGS
@given(token=st.one_of(st.text(min_size=1, max_size=70), st.from_regex(r"[fb]/[0-9]{56}/s", fullmatch=True)),
       head=st.booleans(), limit=st.integers(1, 20))
def test_get_log_events_tokens(lab, token, head, limit):
    logs = lab.client("logs")
    try:
        page = logs.get_log_events(logGroupName="fuzz", logStreamName="s", nextToken=token, startFromHead=head, limit=limit)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidParameterException"
        return
    assert len(page["events"]) <= limit
    assert page["nextForwardToken"].startswith("f/") and page["nextBackwardToken"].startswith("b/")


@SETTINGS
@given(token=st.text(min_size=1, max_size=40))
def test_filter_log_events_tokens(lab, token):
    logs = lab.client("logs")
    try:
        logs.filter_log_events(logGroupName="fuzz", nextToken=token)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidParameterException"
