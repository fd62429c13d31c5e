"""Logs Insights queries, with the examples of "CloudWatch Logs Insights language query syntax".

Pages: LG:CWL_QuerySyntax (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html) and
its command pages (CWL_QuerySyntax-Sort, -Parse, -Stats, -Filter, -operations-functions).
"""

from __future__ import annotations

import json

import duckdb
import pytest

from awslab.logs.insights import MalformedQueryException, parse_query, run_query

START_MS = 1767225600000  # 2026-01-01T00:00:00Z


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("SET TimeZone='UTC'")
    c.execute("CREATE TABLE logs_events (timestamp BIGINT, message VARCHAR, log_stream VARCHAR, log_group VARCHAR, "
              "ingestion_time BIGINT, event_id VARCHAR)")
    yield c
    c.close()


def load(con, messages: list, *, step_ms: int = 60_000, group: str = "/aws/lab") -> None:
    rows = [(START_MS + i * step_ms, m if isinstance(m, str) else json.dumps(m), f"stream-{i % 2}", group,
             START_MS + i * step_ms + 1, f"ptr{i}") for i, m in enumerate(messages)]
    con.executemany("INSERT INTO logs_events VALUES (?, ?, ?, ?, ?, ?)", rows)


def values(result, name: str) -> list[str | None]:
    return [next((f["value"] for f in row if f["field"] == name), None) for row in result.results]


ERROR_LINE = "25 May 2019 10:24:39,474 [ERROR] {foo=2, bar=data} The error was: DataIntegrityException"


@pytest.mark.parametrize("query", [
    'parse @message "[*] * The error was: *" as level, config, exception',
    r"parse @message /\[(?<level>\S+)\]\s+(?<config>\{.*\})\s+The error was: (?<exception>\S+)/",
])
def test_parse_glob_and_regex(con, query):
    """The parse page's example: level ERROR, config {foo=2, bar=data}, exception DataIntegrityException."""
    load(con, [ERROR_LINE])
    result = run_query(con, query + " | display level, config, exception")
    assert result.results == [[{"field": "level", "value": "ERROR"}, {"field": "config", "value": "{foo=2, bar=data}"},
                               {"field": "exception", "value": "DataIntegrityException"}]]


def test_display_example(con):
    """display: parse into ephemeral fields, filter on one, display another."""
    load(con, ["[ERROR] disk full", "[INFO] all good", "[ERROR] out of memory"])
    query = 'fields @message | parse @message "[*] *" as loggingType, loggingMessage | filter loggingType = "ERROR" ' \
            "| display loggingMessage"
    result = run_query(con, query)
    assert result.fields == ["loggingMessage"]
    assert values(result, "loggingMessage") == ["out of memory", "disk full"]  # newest first without sort
    assert result.statistics["recordsMatched"] == 2.0 and result.statistics["recordsScanned"] == 3.0


def test_filter_examples(con):
    """filter: comparisons, and/or, like with a regex, in and not in (the filter page's examples)."""
    load(con, [{"duration": 2500, "f1": 10, "statusCode": "200", "Type": "foo"},
               {"duration": 100, "f3": 30, "statusCode": "404", "Type": "baz"},
               {"duration": 3000, "statusCode": "500", "Type": 1}])
    assert len(run_query(con, "filter (duration>2000)").results) == 2
    assert len(run_query(con, "fields f1, f2 | filter (f1=10 or f3>25)").results) == 2
    assert values(run_query(con, r"fields statusCode | filter statusCode like /2\d\d/"), "statusCode") == ["200"]
    assert values(run_query(con, "fields statusCode | filter statusCode in [300,400,500]"), "statusCode") == ["500"]
    assert values(run_query(con, 'fields Type | filter Type not in ["foo","bar",1]'), "Type") == ["baz"]


@pytest.mark.parametrize("condition, count", [
    ("f1 like /Exception/", 2), ("f1 =~ /Exception/", 2), ('f1 like "Exception"', 2),
    ("f1 like /(?i)Exception/", 3), ("f1 =~ /^(?i)Exception$/", 1), ("f1 not like /Exception/", 1),
])
def test_like_and_regex_matching(con, condition, count):
    """"Matches and regular expressions in the filter command": case-sensitive unless (?i)."""
    load(con, [{"f1": "IllegalStateException"}, {"f1": "an exception"}, {"f1": "Exception"}])
    assert len(run_query(con, f"fields f1 | filter {condition}").results) == count


def test_stats_by_bin_and_aggregates(con):
    """stats: count, sum, avg, min, max, pct and bin(5m); the bin value prints like @timestamp."""
    load(con, [{"latency": v} for v in [10, 20, 30, 40, 50, 60, 70]], step_ms=60_000)
    result = run_query(con, "stats count(*), sum(latency), avg(latency), min(latency), max(latency), "
                            "pct(latency, 50) by bin(5m)")
    assert result.results == [
        [{"field": "bin(5m)", "value": "2026-01-01 00:00:00.000"}, {"field": "count(*)", "value": "5"},
         {"field": "sum(latency)", "value": "150"}, {"field": "avg(latency)", "value": "30"},
         {"field": "min(latency)", "value": "10"}, {"field": "max(latency)", "value": "50"},
         {"field": "pct(latency, 50)", "value": "30"}],
        [{"field": "bin(5m)", "value": "2026-01-01 00:05:00.000"}, {"field": "count(*)", "value": "2"},
         {"field": "sum(latency)", "value": "130"}, {"field": "avg(latency)", "value": "65"},
         {"field": "min(latency)", "value": "60"}, {"field": "max(latency)", "value": "70"},
         {"field": "pct(latency, 50)", "value": "60"}]]


def test_stats_alias_sort_limit(con):
    """The sort page's VPC flow log query: stats sum(packets) as packetsTransferred by srcAddr, dstAddr."""
    load(con, [{"srcAddr": "10.0.0.1", "dstAddr": "10.0.0.2", "packets": 5},
               {"srcAddr": "10.0.0.1", "dstAddr": "10.0.0.2", "packets": 7},
               {"srcAddr": "10.0.0.3", "dstAddr": "10.0.0.2", "packets": 20},
               {"srcAddr": "10.0.0.4", "dstAddr": "10.0.0.2", "packets": 1}])
    result = run_query(con, "stats sum(packets) as packetsTransferred by srcAddr, dstAddr\n"
                            "    | sort packetsTransferred  desc\n    | limit 2")
    assert values(result, "srcAddr") == ["10.0.0.3", "10.0.0.1"]
    assert values(result, "packetsTransferred") == ["20", "12"]


def test_sort_uses_insights_natural_order(con):
    """The sort page's example list, ascending: non-numbers by chunks (digit runs by length), then numbers."""
    expected = ["!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh",
                "0", "01", "1", "2", "3"]
    load(con, [{"v": v} for v in reversed(expected)])
    assert values(run_query(con, "fields v | sort v asc"), "v") == expected
    assert values(run_query(con, "fields v | sort v desc"), "v") == list(reversed(expected))


def test_aliases_comments_and_functions(con):
    """Aliases, # comments, and the string/number function examples (ltrim/rtrim/trim/substr/replace)."""
    load(con, [{"myField": -4, "myField2": "x"}])
    query = ("fields abs(myField) as AbsoluteValuemyField, myField2\n"
             "    # | filter @message like /delay/\n"
             '    | fields ltrim("xyZfooxyZ","xyZ") as l, rtrim("xyZfooxyZ","xyZ") as r, trim("xyZfooxyZ","xyZ") as t,'
             ' substr("xyZfooxyZ",3, 3) as s, replace("foo","o","0") as p, strcontains("foo", "o") as c,'
             ' concat(myField2, "-", 2) as cc, strlen("héllo") as n, 2 ^ 3 as e, 10 % 3 as m')
    row = {f["field"]: f["value"] for f in run_query(con, query).results[0]}
    assert row == {"AbsoluteValuemyField": "4", "myField2": "x", "l": "fooxyZ", "r": "xyZfoo", "t": "foo", "s": "foo",
                   "p": "f00", "c": "1", "cc": "x-2", "n": "5", "e": "8", "m": "1"}


def test_system_fields_and_discovered_json_fields(con):
    """@timestamp/@message/@logStream/@log/@ptr, and nested JSON fields flattened with dots."""
    load(con, [{"userIdentity": {"type": "Root"}, "items": [{"id": "i-1"}]}], group="/aws/cloudtrail")
    result = run_query(con, "fields @timestamp, @logStream, @log, userIdentity.type, items.0.id", ptr_column="event_id",
                       account_id="111122223333")
    assert result.results == [[
        {"field": "@timestamp", "value": "2026-01-01 00:00:00.000"}, {"field": "@logStream", "value": "stream-0"},
        {"field": "@log", "value": "111122223333:/aws/cloudtrail"}, {"field": "userIdentity.type", "value": "Root"},
        {"field": "items.0.id", "value": "i-1"}, {"field": "@ptr", "value": "ptr0"}]]


def test_time_range_groups_and_timestamptz_source(con):
    """StartQuery's startTime/endTime (epoch seconds, inclusive) and logGroupNames; TIMESTAMPTZ sources work too."""
    load(con, ["a", "b", "c"], step_ms=10_000)
    load(con, ["other"], group="/other")
    start = START_MS // 1000
    assert len(run_query(con, "fields @message", start_time=start, end_time=start + 10, log_groups=["/aws/lab"]).results) == 2
    con.execute("CREATE VIEW tz AS SELECT make_timestamptz(timestamp * 1000) AS timestamp, message, log_stream, "
                "log_group, make_timestamptz(ingestion_time * 1000) AS ingestion_time FROM logs_events")
    result = run_query(con, "stats count(*) as n by log_group_missing", source="tz", start_time=start + 5)
    assert values(result, "n") == ["2"]


def test_default_fields_and_limit(con):
    """Without fields the rows show @timestamp and @message, newest first; limit caps the rows."""
    load(con, ["one", "two", "three"])
    result = run_query(con, "limit 2")
    assert result.fields == ["@timestamp", "@message"]
    assert values(result, "@message") == ["three", "two"]
    assert len(run_query(con, "fields @message", limit=1).results) == 1


@pytest.mark.parametrize("query", ["fields @timestamp, custom_field | count()", "fields a |", "| fields a",
                                   "filter", "stats", "sort", "limit 0", "limit x", "fields (", "parse @message",
                                   'parse @message "[*] *" as onlyone', "stats avg(x) by", "filter a like",
                                   "fields a as", "display abs(x)", "bogus command"])
def test_malformed_queries(query):
    """Malformed queries raise MalformedQueryException (boto/boto3#3450 shows the count() case)."""
    with pytest.raises(MalformedQueryException) as err:
        parse_query(query)
    assert err.value.code == "MalformedQueryException"
    assert err.value.query_compile_error["location"]["endCharOffset"] >= 0


@pytest.mark.parametrize("command", ["dedup a", "pattern @message", "diff", "unmask(@message)", "unnest a into b",
                                     "anomaly", "filterIndex a = 1", "SOURCE logGroups()"])
def test_unsupported_commands_say_so(command):
    """Commands outside awslab's subset fail with a clear message instead of being ignored."""
    with pytest.raises(MalformedQueryException, match="awslab does not support"):
        parse_query("fields @message | " + command)
