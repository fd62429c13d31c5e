"""CloudWatch Logs Insights: a subset of the query language, translated to DuckDB SQL.

Supported commands (LG:CWL_QuerySyntax and its pages fields, filter, stats, sort, limit, parse, display):
``fields``, ``filter``, ``stats`` (count, count_distinct, sum, avg, min, max, pct, stddev, earliest, latest,
sortsFirst, sortsLast; ``by`` with ``bin(period)``), ``sort``, ``limit``, ``parse`` (glob and regex with named
groups) and ``display``; comments start with ``#``. Other commands of the language (dedup, pattern, diff,
unmask, unnest, lookup, anomaly, filterIndex, SOURCE) raise an error naming them instead of being ignored.

The query runs over a table or view with the columns ``timestamp`` (TIMESTAMPTZ or BIGINT epoch ms),
``message``, ``log_stream``, ``log_group`` and ``ingestion_time``. System fields are ``@timestamp``,
``@message``, ``@logStream``, ``@log`` (``account-id:log-group-name``), ``@ingestionTime`` and ``@ptr`` (when an
id column is given). Any other field name is looked up in the message when it is JSON, nested keys joined
with ``.`` as Insights' discovered fields are (``userIdentity.type``, ``items.0.id``)::

    >>> result = run_query(con, 'filter eventName = "ConsoleLogin" | stats count(*) by bin(1h)', source="logs_events")
    >>> result.results[0]
    [{'field': 'bin(1h)', 'value': '2026-01-01 00:00:00.000'}, {'field': 'count(*)', 'value': '3'}]

*Choices* where the pages are silent: without ``sort`` events come newest first and stats rows in the order of
their ``by`` values; ``sort`` without a direction is ascending; ``pct`` picks an observed value
(``quantile_disc``); the default ``limit`` is 10,000 (StartQuery's documented maximum).

The engine is split into :mod:`.insights_tokens` (tokens, the error), :mod:`.insights_parser` (the grammar)
and :mod:`.insights_sql` (translation); this module runs a query and shapes GetQueryResults' rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .insights_parser import Query, parse_query
from .insights_sql import CompiledQuery, _q, compile_query
from .insights_tokens import DEFAULT_LIMIT, SUPPORTED_COMMANDS, UNSUPPORTED_COMMANDS, MalformedQueryException

__all__ = ["MalformedQueryException", "Query", "QueryResult", "CompiledQuery", "parse_query", "compile_query",
           "run_query", "DEFAULT_LIMIT", "SUPPORTED_COMMANDS", "UNSUPPORTED_COMMANDS"]


@dataclass
class QueryResult:
    """GetQueryResults' ``results`` (rows of ``{field, value}``, absent fields left out) and ``statistics``."""

    results: list[list[dict[str, str]]]
    statistics: dict[str, float]
    fields: list[str]


def run_query(con: Any, query: str, source: str = "logs_events", *, start_time: int | None = None,
              end_time: int | None = None, log_groups: list[str] | None = None, limit: int | None = None,
              account_id: str = "123456789012", ptr_column: str | None = None) -> QueryResult:
    """Run a Logs Insights query with DuckDB and return GetQueryResults' rows.

    ``start_time``/``end_time`` are StartQuery's epoch seconds (both ends included); ``log_groups`` restricts
    ``log_group``; ``limit`` is StartQuery's ``limit`` (a ``limit`` command in the query takes precedence).
    """
    import duckdb

    types = {row[0]: str(row[1]).upper() for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    ms = types.get("timestamp", "").startswith(("BIGINT", "INTEGER", "UBIGINT", "HUGEINT", "DOUBLE"))
    conditions, params = ["TRUE"], []
    ts = "timestamp" if ms else "epoch_ms(timestamp)"
    if start_time is not None:
        conditions.append(f"{ts} >= {int(start_time) * 1000}")
    if end_time is not None:
        conditions.append(f"{ts} <= {int(end_time) * 1000 + 999}")
    if log_groups:
        conditions.append("log_group IN (" + ", ".join(_q(g) for g in log_groups) + ")")
    compiled = compile_query(query, source, timestamp_is_ms=ms, account_id=account_id, where=" AND ".join(conditions),
                             ptr_column=ptr_column, limit=limit)
    try:
        rows = con.execute(compiled.sql, params).fetchall()
        matched = con.execute(compiled.matched_sql).fetchone()[0]
        scanned, scanned_bytes = con.execute(
            f"SELECT count(*), coalesce(sum(strlen(message)), 0) FROM {source} WHERE {' AND '.join(conditions)}").fetchone()
    except duckdb.Error as exc:  # e.g. a regex RE2 rejects; AWS reports such queries as malformed
        raise MalformedQueryException(f"the query could not run: {str(exc).splitlines()[0]}") from exc
    results = [[{"field": f, "value": v} for f, v in zip(compiled.output, row) if v is not None] for row in rows]
    statistics = {"recordsMatched": float(matched), "recordsScanned": float(scanned), "bytesScanned": float(scanned_bytes)}
    return QueryResult(results, statistics, compiled.output)
