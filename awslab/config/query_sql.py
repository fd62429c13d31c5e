"""Compiling a parsed advanced query into DuckDB SQL over ``config_items``.

Each configuration item becomes a document in the shape advanced query searches; the
properties a query reads are exploded into one row per scalar (array indexes dropped, so a
condition on an array property holds when any element satisfies it); conditions become EXISTS
tests over those rows; GROUP BY and aggregates run per group. Only the properties the
resource schema (``query_properties.json``, from awslabs/aws-config-resource-schema) lists
for a resource type are searchable. Used by ``awslab.config.query``.
"""

from __future__ import annotations

import ipaddress
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlglot import exp

from awslab.config.query_parser import (
    AGGREGATES,
    COMPARISONS,
    Aggregate,
    Query,
    Value,
    check_like,
    function_name,
    invalid,
    parse,
    property_path,
    value_of,
)

# --------------------------------------------------------------------------------------------
# Searchable properties (awslabs/aws-config-resource-schema)


@dataclass(frozen=True)
class _Schema:
    common: dict[str, str]
    types: dict[str, dict[str, str]]

    def kind(self, path: str) -> str | None:
        """The schema type of a property (string, integer, cidr_block, ...), None if unlisted."""
        if path in self.common:
            return self.common[path]
        for properties in self.types.values():
            if path in properties:
                return properties[path]
        return None

    def types_with(self, path: str) -> list[str]:
        return sorted(t for t, properties in self.types.items() if path in properties)


@lru_cache(maxsize=1)
def _schema() -> _Schema:
    text = resources.files("awslab.config").joinpath("query_properties.json").read_text()
    data = json.loads(text)
    return _Schema(common=data["common"], types=data["resourceTypes"])


# --------------------------------------------------------------------------------------------
# The configuration items a query runs over


def latest_items_sql() -> str:
    """SQL for ``config_latest_items``: the latest item of every resource that is not deleted.

    One row per (account, region, resource type, resource id): the item with the highest
    configurationStateId (capture time breaks ties), dropped when that item records a deletion.
    """
    return """SELECT *
FROM (
    SELECT *
    FROM config_items
    QUALIFY row_number() OVER (
        PARTITION BY account_id, region, resource_type, resource_id
        ORDER BY state_id DESC, capture_time DESC
    ) = 1
) AS latest
WHERE status NOT IN ('ResourceDeleted', 'ResourceDeletedNotRecorded')"""


# The query document: a configuration item in the shape advanced query searches, one SQL
# expression per top-level property over a row ``d`` of config_items. Tags become a list of
# {key, value, tag} ("tags.tag" is "key=value", per the schema repository's README);
# supplementary configuration values that the API form stores as JSON strings are decoded; a
# string "state" becomes {"value": ...} as in the documented EC2 volume example.
_TIME_FORMAT = "'%Y-%m-%dT%H:%M:%S.%gZ'"
_SCALAR_PROPERTIES: dict[str, str] = {
    "accountId": "d.account_id",
    "arn": "d.arn",
    "availabilityZone": "d.availability_zone",
    # The global IAM types carry awsRegion "global" wherever they are recorded.
    "awsRegion": "CASE WHEN d.resource_type IN ('AWS::IAM::User', 'AWS::IAM::Group', 'AWS::IAM::Role', "
    "'AWS::IAM::Policy') THEN 'global' ELSE d.region END",
    "configurationItemCaptureTime": f"strftime(d.capture_time AT TIME ZONE 'UTC', {_TIME_FORMAT})",
    "configurationItemStatus": "d.status",
    "configurationStateId": "CAST(d.state_id AS VARCHAR)",
    "resourceCreationTime": f"strftime(d.resource_creation_time AT TIME ZONE 'UTC', {_TIME_FORMAT})",
    "resourceId": "d.resource_id",
    "resourceName": "d.resource_name",
    "resourceType": "d.resource_type",
    "version": "d.version",
}
_JSON_PROPERTIES: dict[str, str] = {
    "configuration": """CASE
                WHEN json_type(d.configuration, '$.state') = 'VARCHAR' THEN json_merge_patch(
                    d.configuration,
                    json_object('state', json_object('value', d.configuration ->> '$.state')))
                ELSE d.configuration END""",
    "relationships": "d.relationships",
    "supplementaryConfiguration": """(
                SELECT json_group_object(s.key, CASE
                    WHEN s.type = 'VARCHAR' AND json_valid(s.value ->> '$') THEN json(s.value ->> '$')
                    ELSE s.value END)
                FROM json_each(d.supplementary_configuration) AS s)""",
    "tags": """coalesce(CASE json_type(d.tags)
                WHEN 'OBJECT' THEN (
                    SELECT json_group_array(json_object(
                        'key', t.key, 'value', t.value ->> '$',
                        'tag', t.key || '=' || coalesce(t.value ->> '$', '')))
                    FROM json_each(d.tags) AS t)
                WHEN 'ARRAY' THEN (
                    SELECT json_group_array(json_object(
                        'key', t.value ->> '$.key', 'value', t.value ->> '$.value',
                        'tag', (t.value ->> '$.key') || '=' || coalesce(t.value ->> '$.value', '')))
                    FROM json_each(d.tags) AS t)
                END, json('[]'))""",
}
_DOCUMENT_SQL = (
    "json_object(\n            "
    + ",\n            ".join(
        f"'{name}', {sql}" for name, sql in sorted({**_SCALAR_PROPERTIES, **_JSON_PROPERTIES}.items())
    )
    + ")"
)


def _leaf_values_sql(roots: list[str]) -> str:
    """Every scalar under the given top-level properties, one row per (document, property path).

    Array indexes are dropped from the path, so a condition on an array property tests every
    element. Only the properties a query reads are exploded.
    """
    parts = []
    for root in roots:
        if root in _SCALAR_PROPERTIES:
            parts.append(
                f"SELECT d.doc_id, d.resource_type, '{root}' AS path, 'VARCHAR' AS vtype, "
                f"to_json({_SCALAR_PROPERTIES[root]}) AS vjson, {_SCALAR_PROPERTIES[root]} AS vtext\n"
                f"    FROM docs AS d WHERE {_SCALAR_PROPERTIES[root]} IS NOT NULL"
            )
        elif root in _JSON_PROPERTIES:
            parts.append(
                f"SELECT d.doc_id, d.resource_type,\n"
                f"           '{root}' || regexp_replace(substr(t.fullkey, 2), '\\[[0-9]+\\]', '', 'g') AS path,\n"
                "           t.type AS vtype, t.value AS vjson,\n"
                "           CASE WHEN t.type = 'VARCHAR' THEN t.value ->> '$' ELSE CAST(t.atom AS VARCHAR) END AS vtext\n"
                f"    FROM docs AS d, json_tree({_JSON_PROPERTIES[root]}) AS t\n"
                "    WHERE t.type NOT IN ('OBJECT', 'ARRAY', 'NULL')"
            )
    body = "\n    UNION ALL\n    ".join(parts) or (
        "SELECT NULL::BIGINT AS doc_id, NULL AS resource_type, NULL AS path, NULL AS vtype,"
        " NULL::JSON AS vjson, NULL AS vtext WHERE FALSE"
    )
    return f"leaf_values AS (\n    {body}\n),\n"


_LEAVES_SQL = """searchable AS (
    SELECT *,
           CASE WHEN vtype IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN TRY_CAST(vtext AS DOUBLE) END AS vnum,
           CASE WHEN regexp_full_match(vtext, '[0-9]{1,3}(\\.[0-9]{1,3}){3}(/[0-9]{1,2})?')
                THEN split_part(vtext, '/', 1) END AS ipv4_text,
           CASE WHEN contains(vtext, '/') THEN least(TRY_CAST(split_part(vtext, '/', 2) AS BIGINT), 32)
                ELSE 32 END AS prefix_length
    FROM leaf_values
    WHERE {path_filter}
),
ipv4 AS (
    SELECT *,
           TRY_CAST(split_part(ipv4_text, '.', 1) AS BIGINT) * 16777216
           + TRY_CAST(split_part(ipv4_text, '.', 2) AS BIGINT) * 65536
           + TRY_CAST(split_part(ipv4_text, '.', 3) AS BIGINT) * 256
           + TRY_CAST(split_part(ipv4_text, '.', 4) AS BIGINT) AS ip_number,
           CAST(pow(2, 32 - prefix_length) AS BIGINT) AS ip_span
    FROM searchable
),
leaves AS MATERIALIZED (
    SELECT doc_id, resource_type, path, vtype, vjson, vtext, vnum,
           ip_number - (ip_number % ip_span) AS ip_lo,
           ip_number - (ip_number % ip_span) + ip_span - 1 AS ip_hi
    FROM ipv4
)"""


def _ipv4(text: str) -> int | None:
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _is_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"CAST('{value}' AS DOUBLE)"
    return _sql_string(str(value))


@dataclass
class _Compiler:
    """Builds the DuckDB query; values from the expression become parameters (or literals)."""

    inline: bool
    schema: _Schema = field(default_factory=_schema)
    params: dict[str, Any] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)

    def param(self, value: Any) -> str:
        if self.inline:
            return _sql_literal(value)
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def leaf(self, path: str) -> str:
        if path not in self.paths:
            self.paths.append(path)
        return self.param(path)

    # -- conditions ---------------------------------------------------------------------------

    def condition(self, node: exp.Expression) -> str:
        if isinstance(node, exp.And):
            return f"({self.condition(node.this)} AND {self.condition(node.expression)})"
        if isinstance(node, exp.Or):
            return f"({self.condition(node.this)} OR {self.condition(node.expression)})"
        if isinstance(node, exp.Not):
            return f"(NOT {self.condition(node.this)})"
        if isinstance(node, exp.Paren):
            return self.condition(node.this)
        if isinstance(node, exp.Is) or isinstance(node, exp.Null):
            raise invalid("NULL value queries are not supported")
        if type(node) in COMPARISONS or isinstance(node, exp.Between | exp.In | exp.Like):
            return self.predicate(node)
        if isinstance(node, exp.Func) and type(node) not in AGGREGATES:
            raise invalid(f"Unsupported function: {function_name(node)}")
        raise invalid(f"Invalid condition: {node.sql()}")

    def predicate(self, node: exp.Expression) -> str:
        path = property_path(node.this)
        if path is None:
            if isinstance(node, exp.Like):
                raise invalid("Wildcards are supported only for property values and not for property keys")
            value_of(node.this)  # a NULL or a function gets its own message
            raise invalid("Conditions must compare a property with a value")
        kind = self.schema.kind(path)
        if isinstance(node, exp.Like):
            value = value_of(node.expression)
            if value.kind != "string":
                raise invalid("LIKE compares a property with a string value")
            check_like(str(value.value))
            test = f"l.vtext LIKE {self.param(value.value)}"
        elif isinstance(node, exp.Between):
            test = self.between(kind, value_of(node.args["low"]), value_of(node.args["high"]))
        elif isinstance(node, exp.In):
            if node.args.get("query") is not None or node.args.get("unnest") is not None or not node.expressions:
                raise invalid("IN takes a list of values")
            test = "(" + " OR ".join(self.compare(kind, "=", value_of(v)) for v in node.expressions) + ")"
        else:
            test = self.compare(kind, COMPARISONS[type(node)], value_of(node.expression))
        return (
            "EXISTS (SELECT 1 FROM leaves AS l "
            f"WHERE l.doc_id = d.doc_id AND l.path = {self.leaf(path)} AND ({test}))"
        )

    def compare(self, kind: str | None, op: str, value: Value) -> str:
        if value.kind == "number":
            return f"coalesce(l.vnum, TRY_CAST(l.vtext AS DOUBLE)) {op} {self.param(float(value.value))}"
        if value.kind == "boolean":
            return f"l.vtext {op} {self.param('true' if value.value else 'false')}"
        text = str(value.value)
        if kind in ("cidr_block", "ip") and (ip := _ipv4(text)) is not None:
            # A CIDR is a range of addresses: "=" finds the ranges that contain the address,
            # "<" those that reach below it, ">" those that reach above it.
            p = self.param(ip)
            return {
                "=": f"(l.ip_lo <= {p} AND {p} <= l.ip_hi)",
                "<>": f"NOT (l.ip_lo <= {p} AND {p} <= l.ip_hi)",
                "<": f"l.ip_lo < {p}",
                "<=": f"l.ip_lo <= {p}",
                ">": f"l.ip_hi > {p}",
                ">=": f"l.ip_hi >= {p}",
            }[op]
        if kind == "date" and _is_date(text):
            return f"TRY_CAST(l.vtext AS TIMESTAMPTZ) {op} TRY_CAST({self.param(text)} AS TIMESTAMPTZ)"
        if kind in ("integer", "float") and _is_number(text):
            return f"coalesce(l.vnum, TRY_CAST(l.vtext AS DOUBLE)) {op} {self.param(float(text))}"
        return f"l.vtext {op} {self.param(text)}"

    def between(self, kind: str | None, low: Value, high: Value) -> str:
        if low.kind == "number" and high.kind == "number":
            column = "coalesce(l.vnum, TRY_CAST(l.vtext AS DOUBLE))"
            return f"{column} BETWEEN {self.param(float(low.value))} AND {self.param(float(high.value))}"
        if low.kind == "string" and high.kind == "string":
            lo_ip, hi_ip = _ipv4(str(low.value)), _ipv4(str(high.value))
            if kind in ("cidr_block", "ip") and lo_ip is not None and hi_ip is not None:
                return f"(l.ip_lo <= {self.param(hi_ip)} AND l.ip_hi >= {self.param(lo_ip)})"
            if kind == "date" and _is_date(str(low.value)) and _is_date(str(high.value)):
                return (
                    f"TRY_CAST(l.vtext AS TIMESTAMPTZ) BETWEEN TRY_CAST({self.param(low.value)} AS TIMESTAMPTZ) "
                    f"AND TRY_CAST({self.param(high.value)} AS TIMESTAMPTZ)"
                )
            return f"l.vtext BETWEEN {self.param(low.value)} AND {self.param(high.value)}"
        raise invalid("BETWEEN takes two values of the same type")

    # -- whole query ----------------------------------------------------------------------------

    def roots(self) -> list[str]:
        """The top-level properties the query reads."""
        return sorted({path.split(".")[0] for path in self.paths})

    def path_filter(self) -> str:
        """Leaves of the referenced paths, on the resource types whose schema lists them."""
        curated = ", ".join(_sql_string(t) for t in sorted(self.schema.types))
        clauses = []
        for path in self.paths:
            if path in self.schema.common:
                type_test = "TRUE"
            else:
                listed = self.schema.types_with(path)
                type_test = f"resource_type NOT IN ({curated})"
                if listed:
                    type_test = f"(resource_type IN ({', '.join(map(_sql_string, listed))}) OR {type_test})"
            clauses.append(f"(path = {self.param(path)} AND {type_test})")
        return "\n        OR ".join(clauses) or "FALSE"


def _required_types(where: exp.Expression | None) -> set[str] | None:
    """Resource types a WHERE clause requires (resourceType = / IN in its top-level AND chain)."""
    conjuncts, required = [where] if where is not None else [], None
    while conjuncts:
        node = conjuncts.pop()
        if isinstance(node, exp.And):
            conjuncts += [node.this, node.expression]
        elif isinstance(node, exp.Paren):
            conjuncts.append(node.this)
        elif property_path(node.this) == "resourceType" and isinstance(node, exp.EQ | exp.In):
            values = [node.expression] if isinstance(node, exp.EQ) else node.expressions
            if all(isinstance(v, exp.Literal) and v.is_string for v in values):
                found = {str(v.this) for v in values}
                required = found if required is None else required & found
    return required


def _scope_sql(compiler: _Compiler, account_id: str | None, region: str | None, types: set[str] | None) -> str:
    sql = ""
    if types is not None:
        # Every query names its resource types; reading only those items saves exploding the rest.
        sql += f"\n      AND i.resource_type IN ({', '.join(compiler.param(t) for t in sorted(types)) or 'NULL'})"
    if account_id is not None:
        sql += f"\n      AND i.account_id = {compiler.param(account_id)}"
    if region is not None:
        # Global IAM items carry awsRegion "global" and are answered in every Region.
        sql += f"\n      AND i.region IN ({compiler.param(region)}, 'global')"
    return sql


def _order_keys(compiler: _Compiler, query: Query) -> tuple[str, str]:
    """Sort-key columns for a plain query's ORDER BY, and the window ordering over them.

    An array property sorts by its smallest element ascending, its largest descending; numbers
    sort as numbers; resources without the property come last.
    """
    columns, ordering = [], []
    for n, (key, descending) in enumerate(query.order_by):
        assert isinstance(key, str)
        pick, direction = ("max", "DESC") if descending else ("min", "ASC")
        lookup = f"FROM leaves AS l WHERE l.doc_id = d.doc_id AND l.path = {compiler.leaf(key)}"
        columns.append(f"(SELECT {pick}(l.vnum) {lookup}) AS o{n}_n, (SELECT {pick}(l.vtext) {lookup}) AS o{n}_t")
        ordering.append(f"o{n}_n {direction} NULLS LAST, o{n}_t {direction} NULLS LAST")
    return "".join(f", {c}" for c in columns), ", ".join([*ordering, "doc_id"])


def _aggregate_sql(compiler: _Compiler, query: Query, where: str) -> str:
    """Group the matching documents, then compute each aggregate per group in its own CTE."""
    keys = [f"k{i}" for i in range(len(query.group_by))]
    key_columns = [c for k in keys for c in (k, f"{k}_n", f"{k}_t")]

    def columns(prefix: str) -> str:
        return "".join(f"{prefix}{c}, " for c in key_columns)

    group_by = ("\n    GROUP BY " + ", ".join(f"g.{c}" for c in key_columns)) if keys else ""
    joins = "".join(
        f"\n    LEFT JOIN leaves AS {k} ON {k}.doc_id = m.doc_id AND {k}.path = {compiler.leaf(path)}"
        for k, path in zip(keys, query.group_by)
    )
    ctes = [
        f"matched AS (\n    SELECT d.doc_id FROM docs AS d WHERE {where}\n)",
        "grouped AS (\n    SELECT DISTINCT m.doc_id"
        + "".join(f", {k}.vjson AS {k}, {k}.vnum AS {k}_n, {k}.vtext AS {k}_t" for k in keys)
        + f"\n    FROM matched AS m{joins}\n)",
        f"groups AS (\n    SELECT DISTINCT {', '.join(key_columns)} FROM grouped\n)"
        if keys
        else "groups AS (\n    SELECT 1 AS one\n)",
    ]
    number = "coalesce(l.vnum, TRY_CAST(l.vtext AS DOUBLE))"
    outputs: list[str] = []
    joins_out: list[str] = []
    for j, aggregate in enumerate(query.aggregates):
        name = f"a{j}"
        if aggregate.path is None:
            body = f"SELECT {columns('g.')}count(DISTINCT g.doc_id) AS v FROM grouped AS g{group_by}"
        else:
            value = {
                "COUNT": "count(l.vtext) AS v",
                "SUM": f"sum({number}) AS v",
                "AVG": f"avg({number}) AS v",
                "MIN": "min(l.vnum) AS vn, min(l.vtext) AS vt",
                "MAX": "max(l.vnum) AS vn, max(l.vtext) AS vt",
            }[aggregate.function]
            body = (
                f"SELECT {columns('g.')}{value}\n    FROM grouped AS g\n    JOIN leaves AS l "
                f"ON l.doc_id = g.doc_id AND l.path = {compiler.leaf(aggregate.path)}{group_by}"
            )
        if aggregate.function in ("MIN", "MAX") and aggregate.path is not None:
            outputs.append(f"{name}.vn AS {name}_vn, {name}.vt AS {name}_vt")
        elif aggregate.function == "COUNT":
            outputs.append(f"coalesce({name}.v, 0) AS {name}_v")
        else:
            outputs.append(f"{name}.v AS {name}_v")
        ctes.append(f"{name} AS (\n    {body}\n)")
        on = " AND ".join(f"{name}.{c} IS NOT DISTINCT FROM gr.{c}" for c in key_columns) or "TRUE"
        joins_out.append(f"\nLEFT JOIN {name} ON {on}")
    order: list[str] = []
    for key, descending in query.order_by:
        direction = "DESC" if descending else "ASC"
        if isinstance(key, Aggregate):
            j = query.aggregates.index(key)
            by = [f"a{j}_vn", f"a{j}_vt"] if key.function in ("MIN", "MAX") and key.path else [f"a{j}_v"]
        else:
            k = keys[query.group_by.index(key)]
            by = [f"gr.{k}_n", f"gr.{k}_t"]
        order.extend(f"{c} {direction} NULLS LAST" for c in by)
    order.extend(f"gr.{k}_n ASC NULLS LAST, gr.{k}_t ASC NULLS LAST" for k in keys)
    select = f"SELECT {columns('gr.')}{', '.join(outputs) or '1 AS nothing'}\nFROM groups AS gr{''.join(joins_out)}"
    if order:
        select += "\nORDER BY " + ", ".join(order)
    return ",\n".join(ctes) + "\n" + select


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: dict[str, Any]
    query: Query


def compile_query(
    expression: str,
    *,
    inline: bool,
    paged: bool = False,
    account_id: str | None = None,
    region: str | None = None,
) -> Compiled:
    """Parse and compile; ``paged`` adds the $page_offset/$page_end (or $page_limit) window."""
    query = parse(expression)
    compiler = _Compiler(inline=inline)
    scope = _scope_sql(compiler, account_id, region, _required_types(query.where))
    where = compiler.condition(query.where) if query.where is not None else "TRUE"
    if query.is_aggregation:
        body = _aggregate_sql(compiler, query, where)
        if paged:
            body += "\nLIMIT $page_limit OFFSET $page_offset"
    else:
        key_columns, ordering = _order_keys(compiler, query)
        window = "\nWHERE r.position > $page_offset AND r.position <= $page_end" if paged else ""
        body = (
            f"ranked AS (\n    SELECT doc_id, row_number() OVER (ORDER BY {ordering}) AS position\n"
            f"    FROM (SELECT d.doc_id{key_columns} FROM docs AS d WHERE {where}) AS matched\n)\n"
            # Documents are built only for the rows returned.
            f"SELECT {_DOCUMENT_SQL} AS doc\nFROM ranked AS r\nJOIN docs AS d ON d.doc_id = r.doc_id{window}\n"
            "ORDER BY r.position"
        )
    ctes = [
        f"config_latest_items AS (\n{latest_items_sql()}\n)",
        "docs AS (\n    SELECT row_number() OVER (ORDER BY i.resource_type, i.resource_id, i.account_id, i.region)"
        " AS doc_id, i.*\n    FROM config_latest_items AS i\n"
        f"    WHERE i.status NOT IN ('ResourceNotRecorded', 'ResourceDeletedNotRecorded'){scope}\n)",
    ]
    if compiler.paths:
        ctes.append(_leaf_values_sql(compiler.roots()) + _LEAVES_SQL.replace("{path_filter}", compiler.path_filter()))
    sql = "WITH " + ",\n".join(ctes) + ",\n" + body
    return Compiled(sql, compiler.params, query)
