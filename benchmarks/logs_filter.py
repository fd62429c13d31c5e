"""Bulk filter-pattern matching over one million log events, against moto's FilterLogEvents.

Run from the repository root::

    .venv/bin/python benchmarks/logs_filter.py            # 1,000,000 events, moto on a 20,000-event slice
    .venv/bin/python benchmarks/logs_filter.py --events 200000 --moto-slice 10000

awslab compiles each pattern to one DuckDB expression (``FilterPattern.to_sql``) and selects the matching
``(timestamp, message)`` rows of all events. The baseline, measured in the same process, is moto's
``filter_log_events`` (``moto.mock_aws``, events loaded with ``put_log_events``, all result pages read).
moto is too slow to load a million events through boto3, so it runs on a slice and its time is scaled up
linearly to the full count (moto scans its events one by one in Python, so its time is linear in the count).
moto does not implement JSON or space-delimited patterns (it matches every event for them), so its counts are
printed beside ours: the ratio compares work done, not equal answers. A per-message Python loop over
``FilterPattern.matches`` is printed too, to show what running the pattern in bulk buys.
"""

from __future__ import annotations

import argparse
import time

import duckdb

from awslab.logs.patterns import compile_filter_pattern

PATTERNS = {
    "JSON": '{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied*" || $.responseTime > 900) }',
    "space-delimited": "[ip, identity, user, timestamp, request = *login*, status_code = 4*, bytes > 1000]",
}

EVENTS_SQL = """
CREATE OR REPLACE TABLE events AS
SELECT 1767225600000 + i * 10 AS timestamp,
       CASE WHEN i % 2 = 0 THEN
         '{"eventVersion": "1.08", "eventSource": "' || (CASE i % 3 WHEN 0 THEN 's3' WHEN 1 THEN 'ec2' ELSE 'iam' END)
         || '.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "10.0.'
         || (i % 256) || '.' || (i % 199) || '", "userIdentity": {"type": "IAMUser", "userName": "user' || (i % 50)
         || '"}, "responseTime": ' || (i % 1000)
         || (CASE WHEN i % 7 = 0 THEN ', "errorCode": "AccessDenied"' ELSE '' END) || '}'
       ELSE
         '10.1.' || (i % 256) || '.' || (i % 97) || ' - user' || (i % 50) || ' [10/Oct/2026:13:' || lpad((i % 60)::VARCHAR, 2, '0')
         || ':00 +0000] "' || (CASE (i // 2) % 4 WHEN 0 THEN 'POST /login' ELSE 'GET /index.html' END) || ' HTTP/1.1" '
         || (CASE i % 5 WHEN 0 THEN '404' WHEN 1 THEN '403' ELSE '200' END) || ' ' || (i % 5000)
       END AS message
FROM range(?) t(i)
"""


def awslab_filter(con: duckdb.DuckDBPyConnection, pattern_text: str) -> tuple[float, int]:
    where = compile_filter_pattern(pattern_text).to_sql("message", con)
    started = time.perf_counter()
    rows = con.execute(f"SELECT timestamp, message FROM events WHERE {where} ORDER BY timestamp").fetchall()
    return time.perf_counter() - started, len(rows)


def python_loop(con: duckdb.DuckDBPyConnection, pattern_text: str, n: int) -> float:
    messages = [m for (m,) in con.execute("SELECT message FROM events ORDER BY timestamp LIMIT ?", [n]).fetchall()]
    pattern = compile_filter_pattern(pattern_text)
    started = time.perf_counter()
    sum(1 for m in messages if pattern.matches(m))
    return time.perf_counter() - started


def moto_filter(con: duckdb.DuckDBPyConnection, patterns: dict[str, str], n: int) -> dict[str, tuple[float, int]]:
    import boto3
    from moto import mock_aws

    rows = con.execute("SELECT message FROM events ORDER BY timestamp LIMIT ?", [n]).fetchall()
    now_ms = int(time.time() * 1000)  # moto rejects events older than 14 days, so they are stamped now
    out: dict[str, tuple[float, int]] = {}
    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        logs.create_log_group(logGroupName="bench")
        logs.create_log_stream(logGroupName="bench", logStreamName="s")
        for start in range(0, len(rows), 10_000):
            batch = [{"timestamp": now_ms - n + start + k, "message": m} for k, (m,) in enumerate(rows[start : start + 10_000])]
            logs.put_log_events(logGroupName="bench", logStreamName="s", logEvents=batch)
        for name, pattern in patterns.items():
            started = time.perf_counter()
            count = 0
            kwargs = {"logGroupName": "bench", "filterPattern": pattern}
            while True:
                page = logs.filter_log_events(**kwargs)
                count += len(page["events"])
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
            out[name] = (time.perf_counter() - started, count)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--moto-slice", type=int, default=20_000)
    parser.add_argument("--loop-slice", type=int, default=100_000)
    args = parser.parse_args()

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(EVENTS_SQL, [args.events])
    print(f"{args.events:,} events ({args.events // 2:,} CloudTrail-like JSON, the rest Apache access-log lines)")

    moto = moto_filter(con, PATTERNS, args.moto_slice)
    scale = args.events / args.moto_slice
    for name, pattern in PATTERNS.items():
        awslab_filter(con, pattern)  # warm-up
        runs = [awslab_filter(con, pattern) for _ in range(3)]
        ours, matched = min(runs)  # best of three: the machine is shared
        loop = python_loop(con, pattern, args.loop_slice) * args.events / args.loop_slice
        moto_seconds, moto_count = moto[name]
        moto_full = moto_seconds * scale
        print(f"\n{name} pattern: {pattern}")
        print(f"  awslab (DuckDB, bulk)         {ours:8.2f} s   {matched:,} events matched")
        print(f"  awslab per-message Python     {loop:8.2f} s   (measured on {args.loop_slice:,}, scaled x{args.events / args.loop_slice:g})")
        print(f"  moto filter_log_events        {moto_full:8.2f} s   (measured {moto_seconds:.2f} s on {args.moto_slice:,}, "
              f"scaled x{scale:g}; moto returned {moto_count:,} of the slice's events)")
        print(f"  ratio moto / awslab: {moto_full / ours:,.0f}x faster")


if __name__ == "__main__":
    main()
