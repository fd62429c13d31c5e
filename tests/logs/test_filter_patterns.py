"""Filter patterns, checked against the examples of AWS's documentation.

Unless a test says otherwise the cases come from the CloudWatch Logs User Guide page "Filter pattern syntax for
metric filters, subscription filters, filter log events, and Live Tail" (LG:FilterAndPatternSyntax,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html). Every case is checked
twice: per message in Python (``matches``) and in bulk in DuckDB (``to_sql``).
"""

from __future__ import annotations

import duckdb
import pytest

from awslab.errors import AWSError
from awslab.logs.patterns import (
    InvalidFilterPattern,
    compile_filter_pattern,
    dimension_values,
    metric_value,
    test_metric_filter,
    validate_metric_transformation,
)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET TimeZone='UTC'")
    yield c
    c.close()


def check(con, pattern: str, matching: list[str], other: list[str]) -> None:
    """The pattern matches exactly ``matching`` among ``matching + other``, in Python and in DuckDB."""
    compiled = compile_filter_pattern(pattern)
    messages = matching + other
    expected = [m in matching for m in messages]
    assert [compiled.matches(m) for m in messages] == expected
    sql = compiled.to_sql("message", con)
    rows = con.execute(f"SELECT {sql} FROM (SELECT unnest(?::VARCHAR[]) AS message, generate_subscripts(?::VARCHAR[], 1) AS i) "
                       "ORDER BY i", [messages, messages]).fetchall()
    assert [r[0] for r in rows] == expected


UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
]


@pytest.mark.parametrize(
    "pattern, matching",
    [
        ("ERROR", UNSTRUCTURED),
        ("ERROR ARGUMENTS", UNSTRUCTURED[2:]),
        ("?ERROR ?ARGUMENTS", UNSTRUCTURED),
        ("ERROR -ARGUMENTS", UNSTRUCTURED[:2]),
        ("%AUTHORIZED%", UNSTRUCTURED[1:2]),
    ],
)
def test_unstructured_terms(con, pattern, matching):
    """"Using filter patterns to match terms in unstructured log events": single, multiple, optional, excluded."""
    check(con, pattern, matching, [m for m in UNSTRUCTURED if m not in matching] + ["[INFO] all good"])


def test_question_mark_terms_are_ignored_when_mixed():
    """"If you combine "?" with other filter patterns, all question mark terms will be ignored."""
    pattern = compile_filter_pattern("?ERROR ?ARGUMENTS REQUEST")
    for message in ["[INFO] REQUEST FAILED", "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST"]:
        assert pattern.matches(message)
    assert not pattern.matches("[ERROR 419] MISSING ARGUMENTS")
    assert "ignored" in str(pattern)


def test_exact_phrase_and_match_everything(con):
    """"INTERNAL SERVER ERROR" matches the phrase; " " and the empty pattern match every event."""
    check(con, '"INTERNAL SERVER ERROR"', ["[ERROR 500] INTERNAL SERVER ERROR"], ["[ERROR 500] INTERNAL ERROR SERVER"])
    check(con, '" "', ["anything", "x"], [])
    check(con, "", ["anything"], [])


def test_terms_are_case_sensitive_substrings(con):
    """Older page: "ERROR" matches "Exiting with ERRORCODE: -1"; patterns are case sensitive."""
    check(con, "ERROR", ["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1"], ["error: lower case"])
    check(con, "?ERROR ?WARN", ["ERROR WARN message", "ERROR message", "WARN message"], ["INFO message"])
    check(con, "ERROR -WARN", ["ERROR message"], ["ERROR WARN message", "WARN message"])


JSON_EVENT = (
    '{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], '
    '"objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "cluster.name": "c", '
    '"ThisFlag": true}'
)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
        "{ $.eventType = %Trail% }",
        "{ $.arrayKey[*] = %val.{2}% }",
        "{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }",
        "{ $.['cluster.name'] = \"c\" }",
        "{$.eventType = UpdateTrail}",
    ],
)
def test_json_examples_match(con, pattern):
    """"Using filter patterns to match terms in JSON log events": each example matches the example event."""
    other = ['{"eventType": "Nothing", "SomeOtherObject": 1}', "not json at all"]
    check(con, pattern, [JSON_EVENT], other)


@pytest.mark.parametrize(
    "pattern",
    ["{ $.ThisFlag IS FALSE }", "{ $.objectList = 1 }", "{ $.objectList != 1 }", "{ $.SomeObject NOT EXISTS }",
     '{ $.eventType = "Update" }', "{ $.eventType = Ev*ent }"],
)
def test_json_non_matches(con, pattern):
    """Selectors on arrays or objects never match ("JSON Special Considerations"); IS FALSE needs false."""
    check(con, pattern, [], [JSON_EVENT])


COMPOUND = (
    '{"user": {"id": 1, "email": "John.Stiles@example.com"}, "users": [{"id": 2, "email": "John.Doe@example.com"}, '
    '{"id": 3, "email": "Jane.Doe@example.com"}], "actions": ["GET", "PUT", "DELETE"], '
    '"coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}'
)


@pytest.mark.parametrize(
    "pattern, matches",
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }', True),
        ('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }', False),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        ("{ $.coordinates[1][2] = 6 }", True),
    ],
)
def test_json_compound_precedence(con, pattern, matches):
    """Compound expressions: () > && > ||, the page's four examples."""
    check(con, pattern, [COMPOUND] if matches else [], [] if matches else [COMPOUND])


@pytest.mark.parametrize(
    "pattern, value, matches",
    [
        ("{ $.bandwidth > 75 }", 80, True), ("{ $.latency < 50 }", 50, False), ("{ $.refreshRate >= 60 }", 60, True),
        ("{ $.responseTime <= 5 }", 5.5, False), ("{ $.errorCode = 400}", 400, True), ("{ $.errorCode != 500 }", 500, False),
        ("{ $.number[0] = 1e+3 }", [1000], True), ("{ $.number[0] != 1e-3 }", [0.001], False),
        ("{ $.latency > +1000 }", 1001, True), ("{ $.numbers[0] < 10e3 }", [9999], True),
        ("{ $.latency = * }", 50, True), ("{ $.errorCode = 400 }", "400", True),
    ],
)
def test_json_numeric_comparisons(con, pattern, value, matches):
    """"Writing filter patterns that match numeric values": > < >= <= = != with signs and scientific notation."""
    key = pattern.split("$.")[1].split("[")[0].split(" ")[0]
    message = '{"%s": %s}' % (key, __import__("json").dumps(value))
    check(con, pattern, [message] if matches else [], [] if matches else [message])


def test_cis_metric_filters(con):
    """CIS / Security Hub CloudWatch.1-3 filters on CloudTrail records (CloudTrail UG cloudwatch-alarms-for-cloudtrail)."""
    root = '{"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall", "eventName": "ListBuckets"}'
    root_by_service = '{"userIdentity": {"type": "Root", "invokedBy": "s3.amazonaws.com"}, "eventType": "AwsApiCall"}'
    check(con, '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
          [root], [root_by_service])
    check(con, '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
          ['{"errorCode": "Client.UnauthorizedOperation"}', '{"errorCode": "AccessDeniedException"}'],
          ['{"errorCode": "ThrottlingException"}', "{}"])
    check(con, '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
          ['{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}}'],
          ['{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "Yes"}}', '{"eventName": "ConsoleLogin"}'])
    check(con, "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}",
          ['{"eventSource": "kms.amazonaws.com", "eventName": "DisableKey"}'],
          ['{"eventSource": "kms.amazonaws.com", "eventName": "Encrypt"}'])


APACHE = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


@pytest.mark.parametrize(
    "pattern",
    [
        "[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
        "[..., request =*.html*, status_code = 4*, bytes]",
        "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]",
        "[ip, user, ..., status_code, bytes > 1000]",
        "[ip, user, ...]",
        "[..., status_code, bytes]",
    ],
)
def test_space_delimited_examples(con, pattern):
    """"Using filter patterns to match terms in space-delimited log events": the page's patterns and event."""
    check(con, pattern, [APACHE], [APACHE.replace("404", "200").replace("127.0.0.1", "10.0.0.1").replace("1534", "12")]
          if "bytes >" in pattern or "status_code = 4" in pattern or "404 ||" in pattern else [])


SERVICE_LOG = [
    "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200",
    "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310",
    "WARNING 09/25/2014 12:00:02 Invalid user request",
    "ERROR 09/25/2014 12:00:02 Failed to process request",
]


@pytest.mark.parametrize(
    "pattern, matching",
    [
        ("[w1=ERROR, w2]", [3]),
        ("[w1=ERROR || w1=WARNING, w2]", [2, 3]),
        ("[w1!=ERROR && w1!=WARNING, w2]", [0, 1]),
        ("[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", [0]),
        ("[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", [1]),
        ("[w1=ERROR]", []),  # the page: "you must include a blank indicator" after the last term
    ],
)
def test_space_delimited_word_order(con, pattern, matching):
    """Space-delimited pattern matching by word position, with && and ||, and regex on the URL field."""
    check(con, pattern, [SERVICE_LOG[i] for i in matching], [m for i, m in enumerate(SERVICE_LOG) if i not in matching])


def test_two_ellipses_fall_back_to_a_udf(con):
    """A pattern with two ``...`` needs backtracking, which runs as a Python UDF in DuckDB (and says so)."""
    pattern = compile_filter_pattern("[first, ..., code = 404, ..., last]")
    assert pattern.needs_udf
    check(con, "[first, ..., code = 404, ..., last]", [APACHE], ["a b c"])
    with pytest.raises(ValueError):
        pattern.to_sql("message")


def test_test_metric_filter_extracted_values_space_delimited():
    """The page's extraction example: ``[..., request=*.html*, status_code=4*,]`` gives $1..$4, names and $7."""
    event = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
    response = test_metric_filter("[..., request=*.html*, status_code=4*,]", [event, "nothing to see"])
    assert response == {"matches": [{"eventNumber": 1, "eventMessage": event, "extractedValues": {
        "$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /index.html HTTP/1.0", "$status_code": "404", "$7": "1534"}}]}


def test_last_field_takes_the_rest_of_the_line():
    """AWS's subscription-filter sample (cloudwatch-logs-subscription-consumer): ``event`` is "Hello World"."""
    response = test_metric_filter('[timestamp=*Z, request_id="*-*", event]',
                                  ["2015-01-13T02:29:03.456Z c342155b-1ec0-11e5-b0e2-f317438eb2f6 Hello World"])
    assert response["matches"][0]["extractedValues"] == {
        "$timestamp": "2015-01-13T02:29:03.456Z", "$request_id": "c342155b-1ec0-11e5-b0e2-f317438eb2f6",
        "$event": "Hello World"}


def test_test_metric_filter_json_values():
    """``{ $.latency = * }`` with metricValue ``$.latency`` publishes 50 for ``{"latency": 50}`` (metric value section)."""
    response = test_metric_filter("{ $.latency = * }", ['{"latency": 50}', '{"other": 1}', "plain text"])
    assert response == {"matches": [{"eventNumber": 1, "eventMessage": '{"latency": 50}',
                                     "extractedValues": {"$.latency": "50"}}]}
    pattern = compile_filter_pattern("{ $.latency = * }", "metric")
    assert metric_value(pattern, "$.latency", '{"latency": 50}') == 50.0
    assert metric_value(pattern, "1", '{"latency": 50}') == 1.0
    assert metric_value(pattern, "$.latency", '{"latency": "slow"}') is None


def test_metric_value_and_dimensions_from_space_delimited_fields():
    """metricValue ``$bytes`` and dimensions from ``$field`` (LAPI:MetricTransformation)."""
    pattern = compile_filter_pattern("[ip, user, username, timestamp, request, status_code, bytes]", "metric")
    assert metric_value(pattern, "$bytes", APACHE) == 1534.0
    assert dimension_values(pattern, {"Status": "$status_code", "User": "$username"}, APACHE) == {
        "Status": "404", "User": "frank"}
    assert dimension_values(pattern, {"Missing": "$nope"}, APACHE) is None


def test_metric_transformation_rules():
    """Dimensions need a JSON or space-delimited pattern and exclude a default value (PutMetricFilter errors)."""
    terms = compile_filter_pattern("?ERROR ?WARN", "metric")
    with pytest.raises(AWSError) as err:
        validate_metric_transformation(terms, "1", {"ClusterName": "$.cluster"})
    assert (err.value.code, err.value.message) == ("InvalidParameterException",
                                                  "The specified filter pattern does not support dimensions")
    json_pattern = compile_filter_pattern("{ $.cluster = * }", "metric")
    with pytest.raises(AWSError, match="mutually exclusive"):
        validate_metric_transformation(json_pattern, "1", {"ClusterName": "$.cluster"}, default_value=0)
    validate_metric_transformation(json_pattern, "$.latency", {"ClusterName": "$.cluster"})


def test_bulk_field_extraction(con):
    """``field_sql`` extracts metric values in bulk, agreeing with the per-message path."""
    messages = ['{"latency": 50, "svc": "a"}', '{"latency": 7.5}', '{"nolatency": 1}']
    pattern = compile_filter_pattern("{ $.latency > 1 }")
    got = con.execute(f"SELECT {pattern.field_sql('$.latency', 'm')} FROM (SELECT unnest(?::VARCHAR[]) AS m)",
                      [messages]).fetchall()
    assert sorted(r[0] for r in got if r[0] is not None) == ["50", "7.5"]
    delimited = compile_filter_pattern("[..., status_code, bytes]")
    got = con.execute(f"SELECT {delimited.field_sql('$bytes', 'm')} FROM (SELECT ? AS m)", [APACHE]).fetchone()
    assert got == ("1534",)


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("email@domain.com", "Invalid character(s) in term 'email@domain.com'"),  # Zappa issue #651
        ('{ $.a = "x"', "If a filter pattern starts with '{' it must end with '}'"),  # awslogs issue #210
        ("{ $.a IS NOT NULL }", None),  # "The variables IS NOT and EXISTS currently aren't supported."
        ("{ $.a EXISTS }", None),
        ("{ $.a > abc }", None),
        ("{ $.a[*].b[*] = 1 }", None),  # one wildcard per selector
        ("{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 || $.d[*] = 1 }", None),  # three per pattern
        ("%something!%", None),  # the page: "%something!% would be rejected since '!' is not supported"
        ("%(ab)%", None),  # no parentheses in regex
        ("%café%", None),  # no multi-byte characters
        ("[a, b = %x% || b = %y%, c = %z%]", None),  # at most 2 regex in a delimited pattern
        ("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]", None),  # GH awsdocs #21
        ("{ }", None),
        ("-", None),
        ('"unterminated', None),
    ],
)
def test_invalid_patterns_raise_aws_error(pattern, message):
    """Invalid patterns raise InvalidParameterException with AWS's wording."""
    with pytest.raises(InvalidFilterPattern) as err:
        compile_filter_pattern(pattern)
    assert err.value.code == "InvalidParameterException"
    assert err.value.message == (message or "Invalid filter pattern")


def test_invalid_pattern_message_depends_on_the_operation():
    """PutMetricFilter says "Invalid metric filter pattern", PutSubscriptionFilter "Invalid subscription filter pattern"."""
    for purpose, message in [("metric", "Invalid metric filter pattern"),
                             ("subscription", "Invalid subscription filter pattern"),
                             ("filter", "Invalid filter pattern")]:
        with pytest.raises(InvalidFilterPattern) as err:
            compile_filter_pattern("{ $.a = }", purpose)  # type: ignore[arg-type]
        assert err.value.message == message


def test_tree_prints():
    """The parsed tree prints with AND/OR structure (for teaching)."""
    text = str(compile_filter_pattern("{ $.a = 1 && ($.b > 5 || $.c NOT EXISTS) }"))
    assert text.splitlines() == ["JSON pattern '{ $.a = 1 && ($.b > 5 || $.c NOT EXISTS) }'", "  AND", "    $.a = 1",
                                 "    OR", "      $.b > 5", "      $.c NOT EXISTS"]


def test_regex_operators():
    """"Usage of supported operators": ^ $ ? [] {m,n} | \\ * + . \\d \\s \\w \\xhh."""
    cases = [("%^[hc]at%", "hat trick", True), ("%^[hc]at%", "that", False), ("%[hc]at$%", "a cat", True),
             ("%colou?r%", "color", True), ("%colou?r%", "colour", True), ("%a{3,5}%", "aa", False),
             ("%a{3,5}%", "xaaay", True), ("%gra|ey%", "grey", True), ("%\\[.\\]%", "[7]", True),
             ("%ab*c%", "ac", True), ("%ab+c%", "ac", False), ("%.at%", " at", True), ("%\\d%", "x1", True),
             ("%\\D%", "123", False), ("%\\s%", "a\tb", True), ("%\\w%", "!!", False), ("%\\x3A%", "a:b", True),
             ("%10\\.10\\.0\\.1%", "10.10.0.1", True), ("%10\\.10\\.0\\.1%", "10010,051", False),
             ("%10.10.0.1%", "10010,051", True), ("%a{,2}b%", "b", True)]
    for pattern, message, expected in cases:
        assert compile_filter_pattern(pattern).matches(message) is expected, (pattern, message)
