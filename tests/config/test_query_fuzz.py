"""Fuzzing SelectResourceConfig: any expression gets a result or AWS's error, never a crash.

AWS answers a query it cannot run with InvalidExpressionException (or ValidationException for
the Expression's length), per API_SelectResourceConfig.html; the lab must do the same for
arbitrary text, keyword soup and grammatical but odd queries.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab.config.query import select_resource_config, translate
from awslab.errors import AWSError

from .query_fixtures import add_item, new_db

DB = new_db()
add_item(DB, "AWS::EC2::Instance", "i-1", {"instanceType": "t2.micro", "state": {"name": "running"}}, tags={"Env": "prod"})
add_item(DB, "AWS::EC2::Volume", "vol-1", {"size": 8, "state": "in-use", "attachments": [{"instanceId": "i-1"}]})
add_item(DB, "AWS::EC2::SecurityGroup", "sg-1", {"ipPermissions": [{"fromPort": 22, "toPort": 22, "ipRanges": ["0.0.0.0/0"]}]})
add_item(DB, "AWS::S3::Bucket", "b-1", {"name": "b-1"}, supplementary={"BucketVersioningConfiguration": '{"status":"Off"}'})

# AWSLAB_FUZZ_EXAMPLES raises the count for a longer hunt.
FUZZ = settings(max_examples=int(os.environ.get("AWSLAB_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALLOWED_CODES = {"InvalidExpressionException", "ValidationException"}

PROPERTIES = [
    "resourceId", "resourceType", "accountId", "awsRegion", "arn", "availabilityZone", "version",
    "configuration", "configuration.size", "configuration.instanceType", "configuration.state.value",
    "configuration.ipPermissions.ipRanges", "configuration.ipPermissions.fromPort", "tags", "tags.key",
    "tags.tag", "relationships.resourceId", "supplementaryConfiguration.BucketVersioningConfiguration.status",
    "configurationItemCaptureTime", "resourceCreationTime", "no.such.property",
]  # fmt: skip
VALUES = ["'AWS::EC2::Instance'", "'t2.micro'", "'10.0.0.1'", "'0.0.0.0'", "'2026-01-01'", "8", "-1", "2.5",
          "true", "FALSE", "NULL", "'it''s'", "'AWS::EC2::%'", "'ab%'", "1e999", "''"]  # fmt: skip
KEYWORDS = ["SELECT", "WHERE", "GROUP BY", "ORDER BY", "AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS",
            "ASC", "DESC", "FROM", "AS", "DISTINCT", "HAVING", "JOIN", "UNION", "ALL", "LIMIT", "COUNT(*)",
            "SUM(", "MAX(", "(", ")", ",", "*", "=", "<>", "!=", "<", ">=", ";", ".", "'", "\"", "--", "/*"]  # fmt: skip


def run(expression: str) -> None:
    try:
        answer = select_resource_config(DB, expression, limit=5)
    except AWSError as error:
        assert error.code in ALLOWED_CODES, error
        return
    assert set(answer) <= {"Results", "QueryInfo", "NextToken"}
    for result in answer["Results"]:
        assert isinstance(json.loads(result), dict)
    assert all(set(field) == {"Name"} for field in answer["QueryInfo"]["SelectFields"])


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text(expression):
    """Any text: an answer or InvalidExpressionException/ValidationException."""
    run(expression)


@FUZZ
@given(st.lists(st.sampled_from(KEYWORDS + PROPERTIES + VALUES), max_size=25))
def test_keyword_soup(words):
    """Keywords, properties and values in any order."""
    run(" ".join(["SELECT", *words]))


def conditions() -> st.SearchStrategy[str]:
    comparison = st.builds(
        lambda p, op, v: f"{p} {op} {v}",
        st.sampled_from(PROPERTIES),
        st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE"]),
        st.sampled_from(VALUES),
    )
    between = st.builds(lambda p, a, b: f"{p} BETWEEN {a} AND {b}", st.sampled_from(PROPERTIES), st.sampled_from(VALUES), st.sampled_from(VALUES))
    within = st.builds(lambda p, vs: f"{p} IN ({', '.join(vs)})", st.sampled_from(PROPERTIES), st.lists(st.sampled_from(VALUES), min_size=1, max_size=3))
    leaf = st.one_of(comparison, between, within)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a} AND {b})", inner, inner),
            st.builds(lambda a, b: f"{a} OR {b}", inner, inner),
            st.builds(lambda a: f"NOT {a}", inner),
        ),
        max_leaves=6,
    )


field = st.one_of(
    st.sampled_from(PROPERTIES + ["*"]),
    st.builds(lambda f, p: f"{f}({p})", st.sampled_from(["COUNT", "SUM", "AVG", "MIN", "MAX", "count"]), st.sampled_from(PROPERTIES + ["*"])),
)


@FUZZ
@given(
    st.lists(field, min_size=1, max_size=4),
    st.one_of(st.none(), conditions()),
    st.lists(st.sampled_from(PROPERTIES), max_size=4),
    st.lists(st.tuples(st.one_of(st.sampled_from(PROPERTIES), st.just("COUNT(*)")), st.sampled_from(["", " ASC", " DESC"])), max_size=3),
)
def test_grammatical_queries(fields, where, group_by, order_by):
    """Queries that follow the grammar, in odd combinations: run by DuckDB or refused by AWS's rules."""
    expression = "SELECT " + ", ".join(fields)
    if where:
        expression += " WHERE " + where
    if group_by:
        expression += " GROUP BY " + ", ".join(group_by)
    if order_by:
        expression += " ORDER BY " + ", ".join(k + d for k, d in order_by)
    run(expression)
    try:
        translate(expression)
    except AWSError as error:
        assert error.code in ALLOWED_CODES


@FUZZ
@given(st.text(max_size=80), st.one_of(st.none(), st.integers(-5, 120)))
def test_arbitrary_next_tokens_and_limits(token, limit):
    """NextToken and Limit: a page, InvalidNextTokenException or InvalidLimitException."""
    try:
        select_resource_config(DB, "SELECT resourceId", limit=limit, next_token=token)
    except AWSError as error:
        assert error.code in {"InvalidNextTokenException", "InvalidLimitException"}
