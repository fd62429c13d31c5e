"""SelectResourceConfig: AWS Config's advanced-query SQL subset, translated to DuckDB.

An expression such as ``SELECT resourceId WHERE resourceType = 'AWS::EC2::Instance'`` is parsed
with sqlglot, checked against the limits AWS documents, and compiled into one DuckDB query over
the ``config_items`` table (the latest recorded, non-deleted configuration item per resource).
``query_parser`` holds the grammar and its limits, ``query_sql`` the compilation; this module
holds the API: translation, pagination and AWS's result shape.

Rules come from the AWS Config Developer Guide pages "Querying the Current Configuration State
of AWS Resources" (querying-AWS-resources.html), "Query Components" (query-components.html),
"Example Queries" (example-query.html) and "Example Relationship Queries"
(examplerelationshipqueries.html), the SelectResourceConfig API reference, and the searchable
property lists of awslabs/aws-config-resource-schema (kept in ``query_properties.json``):

- ``SELECT property[, ...] [WHERE condition] [GROUP BY property] [ORDER BY property [ASC|DESC], ...]``;
  no FROM, and no ALL, AS, DISTINCT, HAVING, JOIN or UNION. NULL value queries are refused.
- A condition on a property inside an array is true when ANY element satisfies it; each
  condition is evaluated on its own, with no correlation between elements.
- ``SELECT *`` returns only the top-level scalar properties of a configuration item.
- LIKE accepts only suffix wildcards (``%`` and ``_``) after a prefix of at least three characters.
- On CIDR-typed properties, ``=`` and ``BETWEEN`` match any range that contains the given IP.
- Aggregates AVG, COUNT, MAX, MIN and SUM take one property (COUNT also ``*``) and cannot nest;
  GROUP BY takes at most three properties, or one if ORDER BY references an aggregate, in which
  case the result is not paginated.
- Only the properties listed for a resource type are searchable; other properties never match
  a condition (they may still be selected).

Where AWS does not document a behaviour the choice is marked "plausible" in a comment: the
wording of InvalidExpressionException messages (AWS only shows "syntax error at line L, column
C"), the 0-based column, the order of results without ORDER BY (resource type, then id),
SelectFields for ``SELECT *`` (the ten properties it returns), and grouping by an array property
(the resource counts in every group its elements fall into).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from awslab.config.query_parser import (
    MAX_EXPRESSION_LENGTH,
    SELECT_STAR_PROPERTIES,
    Aggregate,
    Query,
    Star,
)
from awslab.config.query_sql import compile_query, latest_items_sql
from awslab.errors import AWSError

__all__ = [
    "DEFAULT_AGGREGATE_PAGE_SIZE",
    "DEFAULT_PAGE_SIZE",
    "MAX_EXPRESSION_LENGTH",
    "MAX_LIMIT",
    "SELECT_STAR_PROPERTIES",
    "latest_items_sql",
    "select_resource_config",
    "translate",
]

MAX_LIMIT = 100
# SelectAggregateResourceConfig documents these page sizes when Limit is not given; we use them
# for SelectResourceConfig too (plausible: its own page does not say).
DEFAULT_PAGE_SIZE = 25
DEFAULT_AGGREGATE_PAGE_SIZE = 500
INVALID_LIMIT_MESSAGE = "The specified limit is outside the allowable range."
INVALID_NEXT_TOKEN_MESSAGE = (
    "The specified next token is not valid. Specify the nextToken string that was returned "
    "in the previous response to get the next page of results."
)


def translate(expression: str, *, account_id: str | None = None, region: str | None = None) -> str:
    """DuckDB SQL answering an advanced query over ``config_items``; raises AWS's errors.

    The SQL returns, for a plain query, one JSON column ``doc`` per matching resource (the
    configuration item in advanced-query shape, in result order); for an aggregation, one row
    per group with the group values (``k0``, ``k0_n``, ``k0_t``, ...) and the aggregate values
    (``a0_v`` or ``a0_vn``/``a0_vt``, ...). ``select_resource_config`` shapes these into AWS's
    JSON results. Values from the expression are written into the SQL as quoted literals.
    """
    return compile_query(expression, inline=True, account_id=account_id, region=region).sql


# --------------------------------------------------------------------------------------------
# SelectResourceConfig


def _token_for(expression: str, offset: int) -> str:
    digest = hashlib.sha256(expression.encode()).hexdigest()[:16]
    raw = json.dumps({"q": digest, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset_of(expression: str, next_token: str | None) -> int:
    if not next_token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(next_token.encode()))
        offset = data["o"]
        valid = data["q"] == hashlib.sha256(expression.encode()).hexdigest()[:16]
    except (ValueError, TypeError, KeyError, UnicodeError):
        valid, offset = False, 0
    if not valid or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise AWSError("InvalidNextTokenException", INVALID_NEXT_TOKEN_MESSAGE)
    return offset


_MISSING = object()


def _prune(value: Any, segments: list[str]) -> Any:
    """The part of ``value`` that lies on the path; arrays keep their positions (_MISSING holes)."""
    if not segments:
        return _MISSING if value is None else value
    if isinstance(value, list):
        items = [_prune(v, segments) for v in value]
        return items if any(i is not _MISSING for i in items) else _MISSING
    if not isinstance(value, dict) or segments[0] not in value:
        return _MISSING
    inner = _prune(value[segments[0]], segments[1:])
    return _MISSING if inner is _MISSING else {segments[0]: inner}


def _merge(into: Any, extra: Any) -> Any:
    if into is _MISSING:
        return extra
    if extra is _MISSING:
        return into
    if isinstance(into, dict) and isinstance(extra, dict):
        merged = dict(into)
        for key, value in extra.items():
            merged[key] = _merge(merged.get(key, _MISSING), value)
        return merged
    if isinstance(into, list) and isinstance(extra, list) and len(into) == len(extra):
        return [_merge(a, b) for a, b in zip(into, extra)]
    return extra


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not _MISSING}
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not _MISSING]
    return value


def _project(doc: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    result: Any = {}
    for path in paths:
        segments = path.split(".")
        pruned = _prune(doc, segments)
        if path == "tags" and pruned is not _MISSING:
            # The tag list answers with its key/value pairs; "tag" only exists to be searched.
            pruned = {"tags": [{k: v for k, v in t.items() if k != "tag"} for t in pruned["tags"]]}
        result = _merge(result, pruned)
    return _clean(result) if isinstance(result, dict) else {}


def _number(value: Any, function: str) -> Any:
    if isinstance(value, float) and function != "AVG" and value.is_integer():
        return int(value)
    return value


def _aggregate_result(row: tuple[Any, ...], query: Query) -> dict[str, Any]:
    columns = iter(row)
    result: Any = {}
    for path in query.group_by:
        raw, _, _ = next(columns), next(columns), next(columns)
        if raw is not None:
            value = json.loads(raw) if isinstance(raw, str) else raw
            nested: Any = value
            for segment in reversed(path.split(".")):
                nested = {segment: nested}
            result = _merge(result, nested)
    values: dict[str, Any] = {}
    for aggregate in query.aggregates:
        if aggregate.function in ("MIN", "MAX") and aggregate.path is not None:
            number, text = next(columns), next(columns)
            value = number if number is not None else text
        else:
            value = next(columns)
        values[aggregate.name] = _number(value, aggregate.function)
    wanted = [f for f in query.fields if isinstance(f, Aggregate)]
    out = dict(result) if isinstance(result, dict) else {}
    for aggregate in wanted:
        if values.get(aggregate.name) is not None:
            out[aggregate.name] = values[aggregate.name]
    # Group properties that were not selected (ORDER BY/GROUP BY only) are not returned.
    selected = {f for f in query.fields if isinstance(f, str)}
    for path in query.group_by:
        if path not in selected:
            out = _drop(out, path.split("."))
    return out


def _drop(value: dict[str, Any], segments: list[str]) -> dict[str, Any]:
    head, rest = segments[0], segments[1:]
    if head not in value:
        return value
    copy = dict(value)
    if not rest or not isinstance(copy[head], dict):
        del copy[head]
    else:
        copy[head] = _drop(copy[head], rest)
        if not copy[head]:
            del copy[head]
    return copy


def select_resource_config(
    db: Any,
    expression: str,
    limit: int | None = None,
    next_token: str | None = None,
    *,
    account_id: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Answer SelectResourceConfig over ``config_items`` on the DuckDB connection ``db``.

    Returns ``{"Results": [JSON strings], "QueryInfo": {"SelectFields": [{"Name": ...}]},
    "NextToken": ...}`` (NextToken only when more results follow). ``account_id`` and
    ``region`` restrict the query to one account and Region, as the API does. Raises
    ``AWSError`` with InvalidExpressionException, InvalidLimitException or
    InvalidNextTokenException.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT):
        raise AWSError("InvalidLimitException", INVALID_LIMIT_MESSAGE)
    compiled = compile_query(expression, inline=False, paged=True, account_id=account_id, region=region)
    query = compiled.query
    offset = _offset_of(expression, next_token)
    page_size = limit or (DEFAULT_AGGREGATE_PAGE_SIZE if query.is_aggregation else DEFAULT_PAGE_SIZE)
    # One row more than the page tells whether another page follows.
    window = {"page_limit": page_size + 1, "page_offset": offset, "page_end": offset + page_size + 1}
    params = {**compiled.params, **{k: v for k, v in window.items() if f"${k}" in compiled.sql}}
    rows = db.execute(compiled.sql, params).fetchall()
    more = len(rows) > page_size
    rows = rows[:page_size]
    if query.is_aggregation:
        results = [_aggregate_result(row, query) for row in rows]
    else:
        paths: list[str] = []
        for f in query.fields:
            paths.extend(SELECT_STAR_PROPERTIES if isinstance(f, Star) else [str(f)])
        results = [_project(json.loads(row[0]), paths) for row in rows]
    answer: dict[str, Any] = {
        "Results": [json.dumps(r, separators=(",", ":")) for r in results],
        "QueryInfo": {"SelectFields": [{"Name": name} for name in query.select_names]},
    }
    # An aggregation ordered by an aggregate is not paginated (querying-AWS-resources.html).
    if more and not (query.is_aggregation and query.orders_by_aggregate):
        answer["NextToken"] = _token_for(expression, offset + page_size)
    return answer
