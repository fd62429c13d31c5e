"""Logs Insights through the API: StartQuery, GetQueryResults, StopQuery, DescribeQueries over ``logs_events``.

The query language subset and its translation to DuckDB SQL are in :mod:`awslab.logs.insights`. Rules from
LAPI:StartQuery, LAPI:GetQueryResults and LG:cloudwatch_limits_cwl:

* a query names exactly one of ``logGroupName``, ``logGroupNames`` or ``logGroupIdentifiers`` (up to 50 groups);
  ``startTime`` and ``endTime`` are epoch *seconds*, both included;
* GetQueryResults returns up to 10,000 rows a page (``maxItems``), each row's fields as ``{field, value}``, plus
  ``@ptr`` for non-aggregated queries; results are kept for 7 days.

*Choice*: the lab's clock does not move while a call runs, so a query runs to completion inside StartQuery and
is ``Complete`` at once (AWS reports ``Scheduled``/``Running`` first); StopQuery on it fails as on any query that
has ended.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from awslab.errors import AWSError

from .groups import check_limit, decode_token, encode_token, name_from_identifier, require_group, to_ms
from .insights import run_query

RESULTS_KEPT = timedelta(days=7)
MAX_GROUPS = 50
MAX_LIMIT = 100_000
PAGE_ITEMS = 10_000
MAX_SECONDS = 253_402_300_799

TABLES = {"logs_queries": "one row per Logs Insights query: its text, log groups, time range, status and results "
                          "(kept 7 days)"}

CREATE = """
CREATE TABLE IF NOT EXISTS logs_queries (
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    query_id VARCHAR NOT NULL,
    query_string VARCHAR NOT NULL,
    log_groups VARCHAR NOT NULL,       -- JSON list of group names
    start_time BIGINT NOT NULL,        -- epoch seconds
    end_time BIGINT NOT NULL,
    create_time TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,           -- Complete or Failed (lab queries finish inside StartQuery)
    results VARCHAR,                   -- JSON: GetQueryResults' rows
    statistics VARCHAR,                -- JSON: recordsMatched, recordsScanned, bytesScanned
    user_identity VARCHAR
)"""


def _groups_of(params: dict[str, Any]) -> list[str]:
    given = [key for key in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(key)]
    if len(given) != 1:
        raise AWSError("InvalidParameterException", "A StartQuery operation must include exactly one of the "
                                                    "following parameters: logGroupName, logGroupNames, or "
                                                    "logGroupIdentifiers")
    if given[0] == "logGroupName":
        return [params["logGroupName"]]
    names = params[given[0]]
    if len(names) > MAX_GROUPS:
        raise AWSError("InvalidParameterException", f"1 validation error detected: Value at '{given[0]}' failed to "
                                                    f"satisfy constraint: Member must have length less than or equal "
                                                    f"to {MAX_GROUPS}")
    return [name_from_identifier(n) for n in names]


def start_query(db, region: str, account_id: str, params: dict[str, Any], now: datetime, query_id: str,
                user_arn: str | None) -> dict[str, Any]:
    """StartQuery: check the groups and the time range, run the query, keep its results."""
    if params.get("queryLanguage", "CWLI") != "CWLI":
        raise AWSError("InvalidParameterException",
                       f"awslab runs Logs Insights QL (CWLI) queries only, not {params['queryLanguage']}.")
    groups = _groups_of(params)
    for name in groups:
        require_group(db, region, account_id, name)
    start, end = params["startTime"], params["endTime"]
    if end > MAX_SECONDS or start > MAX_SECONDS:
        raise AWSError("InvalidParameterException", "startTime and endTime must be epoch seconds before year 10000")
    if end < start:
        # *choice* of wording for a range AWS refuses.
        raise AWSError("InvalidParameterException", "endTime must be greater than or equal to startTime")
    limit = params.get("limit")
    if limit is not None and limit > MAX_LIMIT:
        raise AWSError("InvalidParameterException", f"1 validation error detected: Value '{limit}' at 'limit' failed "
                                                    f"to satisfy constraint: Member must have value less than or "
                                                    f"equal to {MAX_LIMIT}")
    source = "(SELECT * FROM logs_events WHERE region = {} AND account_id = {})".format(
        *("'" + value.replace("'", "''") + "'" for value in (region, account_id)))
    result = run_query(db, params["queryString"], source, start_time=start, end_time=end, log_groups=groups,
                       limit=limit, account_id=account_id, ptr_column="event_id")
    db.execute("INSERT INTO logs_queries VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'Complete', ?, ?, ?)",
               [region, account_id, query_id, params["queryString"], json.dumps(groups), start, end, now,
                json.dumps(result.results), json.dumps(result.statistics), user_arn])
    return {"queryId": query_id}


def new_query_id(seed: str) -> str:
    """A query id in AWS's form (a UUID), derived from the call's event id so runs are deterministic."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"awslab-logs-query/{seed}"))


def _find(db, region: str, account_id: str, query_id: str) -> tuple:
    row = db.execute("SELECT status, results, statistics FROM logs_queries WHERE region = ? AND account_id = ? "
                     "AND query_id = ?", [region, account_id, query_id]).fetchone()
    if row is None:
        # *choice*: AWS answers an unknown or expired query id with ResourceNotFoundException.
        raise AWSError("ResourceNotFoundException", f"Query {query_id} does not exist or has expired.")
    return row


def get_query_results(db, region: str, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    status, results_text, statistics_text = _find(db, region, account_id, params["queryId"])
    results = json.loads(results_text or "[]")
    size = check_limit(params.get("maxItems"), PAGE_ITEMS, "maxItems")
    offset = int(decode_token(params["nextToken"])) if params.get("nextToken") else 0
    statistics = json.loads(statistics_text or "{}")
    response: dict[str, Any] = {"queryLanguage": "CWLI", "results": results[offset:offset + size],
                                "statistics": statistics, "status": status}
    if offset + size < len(results):
        response["nextToken"] = encode_token(offset + size)
    return response


def stop_query(db, region: str, account_id: str, query_id: str) -> dict[str, Any]:
    status = _find(db, region, account_id, query_id)[0]
    if status not in ("Scheduled", "Running"):
        raise AWSError("InvalidParameterException", f"Query {query_id} is not running.")
    db.execute("UPDATE logs_queries SET status = 'Cancelled' WHERE region = ? AND account_id = ? AND query_id = ?",
               [region, account_id, query_id])
    return {"success": True}


def describe_queries(db, region: str, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    rows = db.execute("SELECT query_id, query_string, status, create_time, log_groups, statistics, user_identity "
                      "FROM logs_queries WHERE region = ? AND account_id = ? ORDER BY create_time DESC, query_id",
                      [region, account_id]).fetchall()
    queries = []
    for query_id, text, status, created, groups_text, statistics_text, user in rows:
        groups = json.loads(groups_text)
        if params.get("logGroupName") and params["logGroupName"] not in groups:
            continue
        if params.get("status") and params["status"] != status:
            continue
        info: dict[str, Any] = {"queryLanguage": "CWLI", "queryId": query_id, "queryString": text, "status": status,
                                "createTime": to_ms(created), "logGroupName": groups[0], "queryDuration": 0,
                                "bytesScanned": json.loads(statistics_text or "{}").get("bytesScanned", 0.0)}
        if user:
            info["userIdentity"] = user
        queries.append(info)
    size = params.get("maxResults") or 1000
    offset = int(decode_token(params["nextToken"])) if params.get("nextToken") else 0
    response: dict[str, Any] = {"queries": queries[offset:offset + size]}
    if offset + size < len(queries):
        response["nextToken"] = encode_token(offset + size)
    return response


def expire_results(db, until: datetime) -> None:
    db.execute("DELETE FROM logs_queries WHERE create_time < ?", [until - RESULTS_KEPT])
