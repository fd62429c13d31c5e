"""Fuzzing the filter-pattern and Logs Insights parsers (hypothesis).

Properties: any pattern or query string gives a result or AWS's error (InvalidParameterException,
MalformedQueryException), never another exception; and the bulk DuckDB path of a filter pattern agrees with
the per-message Python path on random messages. Grammar: LG:FilterAndPatternSyntax and LG:CWL_QuerySyntax.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab.errors import AWSError
from awslab.logs.insights import MalformedQueryException, parse_query, run_query
from awslab.logs.patterns import FilterPattern, InvalidFilterPattern, compile_filter_pattern

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AGREE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PATTERN_ALPHABET = ' {}[]()$.=!<>&|"%*?-,abcAB012_\\^+@#:/\t\'é'


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET TimeZone='UTC'")
    c.execute("CREATE TABLE logs_events (timestamp BIGINT, message VARCHAR, log_stream VARCHAR, log_group VARCHAR, "
              "ingestion_time BIGINT)")
    c.executemany("INSERT INTO logs_events VALUES (?, ?, 's', '/g', ?)", [
        (1767225600000 + i * 1000, m, 1767225600000 + i * 1000) for i, m in enumerate(
            ['{"a": 1, "b": "x"}', "plain text 42", '{"a": "7", "c": {"d": [1, 2]}}', "[ERROR] boom", ""])])
    yield c
    c.close()


def compile_or_error(text: str) -> FilterPattern | None:
    try:
        return compile_filter_pattern(text)
    except InvalidFilterPattern as err:
        assert err.code == "InvalidParameterException"
        return None


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=PATTERN_ALPHABET, max_size=40),
                 st.builds(lambda s: "{" + s + "}", st.text(alphabet=PATTERN_ALPHABET, max_size=30)),
                 st.builds(lambda s: "[" + s + "]", st.text(alphabet=PATTERN_ALPHABET, max_size=30)),
                 st.builds(lambda s: "%" + s + "%", st.text(alphabet=PATTERN_ALPHABET, max_size=20))),
       st.text(max_size=60))
def test_any_pattern_compiles_or_raises_aws_error(text, message):
    """Arbitrary pattern text: a pattern (which then matches and extracts without error) or AWS's error."""
    pattern = compile_or_error(text)
    if pattern is not None:
        assert isinstance(pattern.matches(message), bool)
        assert isinstance(pattern.extract(message), dict)
        assert isinstance(str(pattern), str)


# ---- structured patterns and messages for the agreement property -------------------------------------------
KEYS = ["a", "b", "c-d", "e_f"]
WORDS = st.sampled_from(["ERROR", "WARN", "x", "404", "1.5", "a_b", "GET", "abc", "-1", "0"])
REGEXES = st.sampled_from(["ERR", "^a", "b$", "[0-9]+", "x|y", "a.c", "\\d{2,3}", "\\s", "[^a-c]b", "[hc]at", "\\x41"])


def value_text(kind: str, word: str, star_before: bool, star_after: bool, regex: str) -> str:
    if kind == "regex":
        return f"%{regex}%"
    text = ("*" if star_before else "") + word + ("*" if star_after else "")
    return json.dumps(text) if kind == "quoted" else text


VALUES = st.builds(value_text, st.sampled_from(["bare", "quoted", "regex"]), WORDS, st.booleans(), st.booleans(),
                   REGEXES)
NUMBERS = st.sampled_from(["0", "1", "-1", "1.5", "1e3", "+7", "404"])
SELECTORS = st.sampled_from(["$.a", "$.b", "$.a.b", "$.a[0]", "$.a[1]", "$.['c-d']", "$.e_f", "$.a[*]", "$.*", "$.c.d[0]"])


def json_leaf() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda s, op, v: f"{s} {op} {v}", SELECTORS, st.sampled_from(["=", "!="]), VALUES),
        st.builds(lambda s, op, v: f"{s} {op} {v}", SELECTORS, st.sampled_from(["=", "!=", "<", ">", "<=", ">="]), NUMBERS),
        st.builds(lambda s, c: f"{s} {c}", SELECTORS, st.sampled_from(["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"])),
    )


JSON_CONDITIONS = st.recursive(
    json_leaf(),
    lambda inner: st.one_of(st.builds(lambda a, b: f"{a} && {b}", inner, inner),
                            st.builds(lambda a, b: f"{a} || {b}", inner, inner),
                            st.builds(lambda a: f"({a})", inner)),
    max_leaves=4,
)
JSON_PATTERNS = st.builds(lambda c: "{ " + c + " }", JSON_CONDITIONS)

FIELD_NAMES = st.sampled_from(["f", "g", "h", "w1"])


def delimited_field(name: str, kind: int, ops: list[str], values: list[str]) -> str:
    if kind == 0:
        return "..."
    if kind == 1:
        return ""
    if kind == 2:
        return name
    joiner = " && " if kind == 3 else " || "
    return joiner.join(f"{name} {op} {v}" for op, v in zip(ops, values))


DELIMITED_FIELDS = st.builds(delimited_field, FIELD_NAMES, st.integers(0, 4),
                             st.lists(st.sampled_from(["=", "!="]), min_size=1, max_size=2),
                             st.lists(st.one_of(VALUES, NUMBERS), min_size=1, max_size=2))
DELIMITED_PATTERNS = st.builds(lambda fs: "[" + ", ".join(fs) + "]", st.lists(DELIMITED_FIELDS, min_size=1, max_size=5))
TERM_PATTERNS = st.builds(lambda ts: " ".join(ts), st.lists(st.one_of(
    st.builds(lambda r, w: r + w, st.sampled_from(["", "-", "?"]), WORDS.filter(lambda w: w.replace("_", "").isalnum())),
    st.builds(lambda r, w: r + json.dumps(w), st.sampled_from(["", "-", "?"]), st.text(max_size=6))), min_size=1, max_size=4))
REGEX_PATTERNS = st.builds(lambda r: f"%{r}%", REGEXES)
PATTERNS = st.one_of(JSON_PATTERNS, DELIMITED_PATTERNS, TERM_PATTERNS, REGEX_PATTERNS)

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.sampled_from([1.5, 1e3, -0.5, 404.0]),
                         WORDS, st.text(max_size=5))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS + ["d"]), inner, max_size=3)), max_leaves=6)
JSON_MESSAGES = st.builds(lambda d, ascii_, indent: json.dumps(d, ensure_ascii=ascii_, indent=indent),
                          st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=4), st.booleans(),
                          st.sampled_from([None, 1]))
TOKENS = st.one_of(WORDS, st.builds(lambda w: f'"{w} {w}"', WORDS), st.builds(lambda w: f"[{w} x]", WORDS),
                   st.sampled_from(['"', "[", "]", '""', "-", "*"]))
DELIMITED_MESSAGES = st.builds(lambda ts, seps: "".join(t + s for t, s in zip(ts, seps)),
                               st.lists(TOKENS, min_size=0, max_size=7),
                               st.lists(st.sampled_from([" ", "  ", "\t", ""]), min_size=7, max_size=7))
MESSAGES = st.lists(st.one_of(JSON_MESSAGES, DELIMITED_MESSAGES, st.text(max_size=30),
                              st.sampled_from(['{"a": NaN}', '{"a": [1,]}', '{"a": 1, "a": 2}', "[1, 2]", "5", " {} "])),
                    min_size=1, max_size=12)


@AGREE
@given(PATTERNS, MESSAGES)
def test_bulk_sql_agrees_with_per_message_matching(con, text, messages):
    """The DuckDB expression from ``to_sql`` selects exactly the messages ``matches`` accepts."""
    pattern = compile_or_error(text)
    if pattern is None:
        return
    sql = pattern.to_sql("message", con)
    rows = con.execute(f"SELECT {sql} FROM (SELECT unnest(?::VARCHAR[]) AS message, "
                       f"generate_subscripts(?::VARCHAR[], 1) AS i) ORDER BY i", [messages, messages]).fetchall()
    assert [r[0] for r in rows] == [pattern.matches(m) for m in messages], sql


QUERY_ALPHABET = ' |@abcdefilmnorstuvwxyz()[],"\'/=<>!~*#.`0123456789-+\n'


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=QUERY_ALPHABET, max_size=60)))
def test_any_query_parses_or_raises_malformed_query(con, query):
    """Arbitrary query text: a parsed query, or MalformedQueryException."""
    try:
        parse_query(query)
    except MalformedQueryException as err:
        assert err.code == "MalformedQueryException"


COMMANDS = st.sampled_from([
    "fields @timestamp, @message", "fields a, b, c.d.0", "fields a + 1 as x", "fields concat(b, a) as y",
    "filter a > 0", "filter b like /x/", "filter b = \"x\" or a in [1, 7]", "filter not ispresent(a)",
    "filter @message like \"ERROR\"", "stats count(*) by b", "stats avg(a), max(a), pct(a, 90) by bin(1m)",
    "stats count_distinct(b) as n", "sort a desc", "sort @timestamp asc", "limit 2", "display a, b",
    'parse @message "[*] *" as level, rest', r"parse @message /(?<num>\d+)/", "fields strlen(b) as n | sort n",
    "dedup a", "fields", "filter a >", "stats", "sort", "limit 0",
])


@FUZZ
@given(st.lists(COMMANDS, min_size=1, max_size=5))
def test_generated_queries_run_or_raise_malformed_query(con, commands):
    """Queries built from the supported commands run on DuckDB, or fail with MalformedQueryException."""
    try:
        result = run_query(con, " | ".join(commands))
    except AWSError as err:
        assert err.code == "MalformedQueryException"
        return
    for row in result.results:
        assert all(isinstance(f["field"], str) and isinstance(f["value"], str) for f in row)
