"""The event-pattern language: AWS-recorded TestEventPattern answers and the user guide's examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awslab.errors import AWSError
from awslab.events.patterns import (
    MAX_OR_COMBINATIONS, InvalidEventPattern, PatternSet, compile_pattern, flatten_event,
    validate_test_event,
)

RECORDED = json.loads((Path(__file__).parent / "data" / "aws_recorded_patterns.json").read_text())["cases"]

EC2_EVENT = {
    "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
    "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
RULER_EVENT = {
    "version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
    "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
               "instance-id": "i-000000aaaaaa00000", "state": "running"},
}


def matches(pattern: dict | str, event: dict | str) -> bool:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    return compile_pattern(text).matches(event)


def error_of(pattern: dict | str) -> AWSError:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    with pytest.raises(AWSError) as caught:
        compile_pattern(text)
    return caught.value


@pytest.mark.parametrize("case", RECORDED, ids=[case["name"] for case in RECORDED])
def test_aws_recorded_test_event_pattern(case):
    """LocalStack's AWS-validated TestEventPattern cases (tests/events/data names the source):
    the match result, or InvalidEventPatternException with AWS's exact message where recorded."""
    if case["expected"] == "InvalidEventPatternException":
        error = error_of(case["pattern"])
        assert (error.code, error.status) == ("InvalidEventPatternException", 400)
        assert error.message.startswith("Event pattern is not valid. Reason: ")
        if "message" in case:
            assert error.message == case["message"]
    else:
        pattern = compile_pattern(case["pattern"])
        assert pattern.matches(case["event"]) is case["expected"]
        assert pattern.matches(json.loads(case["event"])) is case["expected"]


def test_recorded_messages_carry_jacksons_location():
    """AWS answers with the ruler's reason and Jackson's location (LS-AWS snapshot int_nolist_EXC)."""
    error = error_of('{"int": 42}')
    assert error.message == ('Event pattern is not valid. Reason: "int" must be an object or an array\n'
                             ' at [Source: (String)"{"int": 42}"; line: 1, column: 11]')
    assert isinstance(error, InvalidEventPattern)
    assert error.reason == '"int" must be an object or an array\n at [Source: (String)"{"int": 42}"; line: 1, column: 11]'


def test_pretty_printed_pattern_error_counts_lines():
    """Jackson counts lines and columns (buildkite/docs#896 quotes such an AWS error at line 5)."""
    text = '{\n  "detail-type": [ "Build Started" ],\n  "detail": {\n    "pipeline": {\n      "slug": "x"\n    }\n  }\n}'
    assert error_of(text).message.endswith("line: 5, column: 16]")


# --- The user guide: "Event patterns" and "Content filtering in event patterns" -----------------

def test_event_patterns_page_example():
    """eb-event-patterns: source/detail-type/detail.state values are OR-ed, fields AND-ed."""
    pattern = {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
               "detail": {"state": ["terminated"]}}
    assert matches(pattern, EC2_EVENT)
    assert not matches({**pattern, "detail": {"state": ["running"]}}, EC2_EVENT)
    assert matches({"detail": {"state": ["running", "terminated"]}}, EC2_EVENT)


def test_prefix_matching():
    """content filtering, "Prefix matching": "time" starting with 2017-10-02; strings only."""
    assert matches({"time": [{"prefix": "2017-10-02"}]}, RULER_EVENT)
    assert not matches({"time": [{"prefix": "2017-10-03"}]}, RULER_EVENT)
    assert matches({"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]},
                   {"source": "aws.autoscaling", "region": "eu-west-1"})
    assert not matches({"detail": {"c-count": [{"prefix": "5"}]}}, RULER_EVENT)
    assert matches({"detail": {"state": [{"prefix": ""}]}}, RULER_EVENT)
    assert not matches({"detail": {"c-count": [{"prefix": ""}]}}, RULER_EVENT)


def test_prefix_and_suffix_ignore_case():
    """content filtering: prefix/suffix with equals-ignore-case (LS-AWS content_prefix_ignorecase)."""
    assert matches({"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
                   {"detail": {"service": "EvEnTbRiDgE"}})
    assert matches({"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "image.PNG"})
    assert not matches({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"})


def test_anything_but_examples():
    """content filtering, "Anything-but matching": values, lists, numbers and prefix."""
    assert matches({"detail": {"state": [{"anything-but": "initializing"}]}}, RULER_EVENT)
    assert not matches({"detail": {"state": [{"anything-but": "running"}]}}, RULER_EVENT)
    assert not matches({"detail": {"x-limit": [{"anything-but": [100, 200, 301.8]}]}}, RULER_EVENT)
    assert matches({"detail": {"x-limit": [{"anything-but": 123}]}}, RULER_EVENT)
    assert matches({"source": [{"anything-but": ["aws.ec2", "aws.s3"]}]}, {"source": "com.example"})
    assert not matches({"source": [{"anything-but": {"prefix": "aws."}}]}, {"source": "aws.s3"})
    assert matches({"detail-type": [{"anything-but": "AWS API Call via CloudTrail"}]}, EC2_EVENT)


def test_anything_but_matches_other_types_and_null_but_not_missing():
    """A number exclusion does not exclude strings; null matches; a missing field never matches."""
    assert matches({"a": [{"anything-but": [1, 2]}]}, {"a": "1"})
    assert matches({"a": [{"anything-but": "x"}]}, {"a": 5})
    assert matches({"a": [{"anything-but": "x"}]}, {"a": None})
    assert not matches({"a": [{"anything-but": "x"}]}, {"b": "y"})
    assert not matches({"a": [{"anything-but": 5}]}, {"a": 5.0})
    assert matches({"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]})


def test_numeric_matching_doc_example():
    """content filtering, "Numeric matching": ranges on c-count and d-count, = on x-limit (3.018e2)."""
    pattern = {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
                          "x-limit": [{"numeric": ["=", 3.018e2]}]}}
    assert matches(pattern, RULER_EVENT)
    assert not matches(pattern, {**RULER_EVENT, "detail": {**RULER_EVENT["detail"], "c-count": 6}})
    assert not matches(pattern, {**RULER_EVENT, "detail": {**RULER_EVENT["detail"], "c-count": "5"}})


def test_numeric_bounds_are_exact():
    """numeric: open and closed ends; only JSON numbers; at most six decimals compare exactly."""
    assert matches({"n": [{"numeric": [">=", 5, "<", 6]}]}, {"n": 5})
    assert not matches({"n": [{"numeric": [">", 5, "<", 6]}]}, {"n": 5})
    assert not matches({"n": [{"numeric": [">", 0]}]}, {"n": True})
    assert matches({"n": [{"numeric": ["=", 0.000001]}]}, {"n": 1e-6})
    assert not matches({"n": [{"numeric": [">", 0]}]}, {"n": 0.0000001})   # not representable: no match


def test_numeric_syntax_errors():
    """RULER JsonRuleCompiler: the numeric expression grammar and its messages."""
    assert "Bottom must be less than top" in error_of({"n": [{"numeric": [">=", 5, "<=", 5]}]}).message
    assert "Too many elements in numeric expression" in error_of({"n": [{"numeric": ["<", 10, ">", 0]}]}).message
    assert "Unrecognized numeric range operator: !" in error_of({"n": [{"numeric": ["!", 5]}]}).message
    assert "Value of equals must be numeric" in error_of({"n": [{"numeric": ["=", "5"]}]}).message
    assert "Only values upto 6 decimals are supported" in error_of({"n": [{"numeric": [">", 0.1234567]}]}).message
    assert error_of({"n": [{"numeric": ["<", 6e11]}]}).message.startswith(
        "Event pattern is not valid. Reason: Value must be between -5.0E11 and 5.0E11, inclusive")


def test_exact_numbers_compare_numerically_but_never_with_strings():
    """LS-AWS number_comparison_float: [300] matches 300.0; a number never matches "300"."""
    assert matches({"n": [300]}, {"n": 300.0})
    assert matches({"n": [300]}, '{"n": 3.0e2}')
    assert not matches({"n": [300]}, {"n": "300"})
    assert not matches({"n": ["300"]}, {"n": 300})
    assert matches({"account": [123456789012345]}, {"account": 123456789012345})   # beyond the range: literal


def test_booleans_and_null():
    """Null values page: [null] is JSON null only, [""] the empty string; true is not 1."""
    assert matches({"b": [True]}, {"b": True})
    assert not matches({"b": [True]}, {"b": 1})
    assert not matches({"b": [1]}, {"b": True})
    assert matches({"v": [None]}, {"v": None})
    assert not matches({"v": [None]}, {"v": "null"})
    assert not matches({"v": [None]}, {"w": 1})
    assert matches({"v": [""]}, {"v": ""})
    assert not matches({"v": [""]}, {"v": None})


def test_ip_address_matching():
    """content filtering, "IP address matching": IPv4 and IPv6, any spelling of an address."""
    assert matches({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, RULER_EVENT)
    assert not matches({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, RULER_EVENT)
    assert matches({"ip": [{"cidr": "2001:db8::/64"}]}, {"ip": "2001:0db8:0000:0000:0000:ff00:0042:8329"})
    assert matches({"ip": ["2001:db8::1"]}, {"ip": "2001:0db8:0:0:0:0:0:1"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "AWS Internal"})
    assert "IPv4 mask bits must be < 32" in error_of({"ip": [{"cidr": "10.0.0.1/32"}]}).message


def test_exists_matching_works_on_leaves_only():
    """content filtering, "Exists matching": the doc's c-count examples and the leaf-only note."""
    pattern = {"detail": {"c-count": [{"exists": False}]}}
    assert matches(pattern, {"detail": {"state": ["initializing", "running"]}})
    assert matches(pattern, {"detail": {"state": "running", "c-count": {"c1": 100}}})
    assert not matches({"detail": {"c-count": [{"exists": True}]}}, {"detail": {"c-count": {"c1": 100}}})
    assert matches({"detail": {"c-count": [{"exists": True}]}}, RULER_EVENT)
    assert matches({"v": [{"exists": True}]}, {"v": None})
    assert not matches({"resources": [{"exists": True}]}, {"resources": []})
    assert matches({"resources": [{"exists": False}]}, {"resources": []})


def test_complex_example_with_multiple_matching():
    """content filtering, "Complex example": prefix, anything-but, numeric and cidr together."""
    pattern = {"time": [{"prefix": "2017-10-02"}],
               "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}],
                          "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}],
                          "source-ip": [{"cidr": "10.0.0.0/8"}]}}
    assert matches(pattern, RULER_EVENT)


def test_equals_ignore_case_and_suffix():
    """content filtering: equals-ignore-case folds each character as Java does; suffix is exact."""
    assert matches({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, EC2_EVENT)
    assert matches({"street": [{"equals-ignore-case": "straße"}]}, {"street": "STRASSE"})
    assert not matches({"n": [{"equals-ignore-case": "5"}]}, {"n": 5})
    assert matches({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"})


def test_wildcard_matching():
    """content filtering, "Wildcard matching": * spans '/', escapes, and the complexity limit."""
    assert matches({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
                   {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"})
    assert matches({"f": [{"wildcard": "/Users/*/doc.txt"}]}, {"f": "/Users/a/b/c/doc.txt"})
    assert matches({"f": [{"wildcard": "a\\*b"}]}, {"f": "a*b"})
    assert not matches({"f": [{"wildcard": "a\\*b"}]}, {"f": "axb"})
    assert matches({"f": [{"wildcard": "*"}]}, {"f": ""})
    assert not matches({"f": [{"wildcard": "*"}]}, {"f": 5})
    assert "Invalid escape character at pos 2" in error_of({"f": [{"wildcard": "a\\b"}]}).message


def test_wildcard_complexity_limit():
    """Four ``*/datasync/*.ext`` wildcards in one rule were refused by AWS, ``*.ext`` ones accepted."""
    ok = [{"wildcard": f"*.{ext}"} for ext in ("bif", "tiff", "tif", "svs")]
    compile_pattern(json.dumps({"detail": {"object": {"key": ok}}}))
    heavy = [{"wildcard": f"*/datasync/*.{ext}"} for ext in ("bif", "tiff", "tif", "svs")]
    error = error_of({"detail": {"object": {"key": heavy}}})
    assert error.message == ("Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard "
                             "characters or fewer repeating character sequences after a wildcard character")
    compile_pattern(json.dumps({"detail": {"object": {"key": heavy[:2]}}}))


def test_or_matching_doc_examples():
    """content filtering, "Complex example with $or": any branch; $or at the top or nested."""
    pattern = {"source": ["aws.ec2"], "$or": [{"detail": {"state": ["stopped"]}},
                                              {"detail": {"c-count": [{"numeric": [">", 4]}]}}]}
    assert matches(pattern, RULER_EVENT)
    assert not matches(pattern, {**RULER_EVENT, "detail": {"state": "running", "c-count": 1}})
    nested = {"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                                 {"d-count": [{"numeric": ["<", 10]}]},
                                 {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}
    assert matches(nested, {"detail": {"c-count": 0, "d-count": 0, "x-limit": 9.018e2}})
    assert not matches(nested, {"detail": {"c-count": 0, "d-count": 10, "x-limit": 9.018e2}})


def test_or_backward_compatibility_and_errors():
    """RULER README: a malformed $or is re-read with $or as an ordinary field name."""
    assert matches({"$or": {"a": ["x"]}}, {"$or": {"a": "x"}})
    assert matches({"$or": [{"numeric": [">", 1]}, {"prefix": "abc"}]}, {"$or": "abcd"})
    message = error_of({"$or": [{"a": ["x"]}]}).message
    assert message.startswith("Event pattern is not valid. Reason: Unrecognized match type a")


def test_or_combination_limit():
    """User guide: more than 1000 $or combinations are refused with InvalidEventPatternException."""
    branches = [{"f": [str(i)]} for i in range(10)]
    three = {"a": {"$or": branches}, "b": {"$or": branches}, "c": {"$or": branches}}
    assert len(compile_pattern(json.dumps(three)).branches) == MAX_OR_COMBINATIONS
    four = {**three, "d": {"$or": branches[:2]}}
    assert error_of(four).code == "InvalidEventPatternException"


def test_pattern_length_limit():
    """PutRule EventPattern: at most 4096 characters (API shape)."""
    text = json.dumps({"source": ["x" * 5000]})
    error = error_of(text)
    assert error.code == "ValidationException"
    assert error.message.endswith("Member must have length less than or equal to 4096")


def test_array_consistent_matching():
    """RULER README "JSON Array Matching": both fields must come from the same array element."""
    pattern = {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}
    event = {"employees": [{"firstName": "Anna", "lastName": "Smith"},
                           {"firstName": "Peter", "lastName": "Jones"}]}
    assert not matches(pattern, event)
    event["employees"].append({"firstName": "Anna", "lastName": "Jones"})
    assert matches(pattern, event)
    explanation = compile_pattern(json.dumps(pattern)).explain({"employees": event["employees"][:2]})
    assert "same element" in str(explanation)


def test_arrays_page_example():
    """Arrays in event patterns: the intersection of the two arrays must not be empty."""
    pattern = {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                             "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}
    assert matches(pattern, {"resources": ["arn:aws:autoscaling:x", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]})
    assert not matches(pattern, {"resources": ["arn:aws:autoscaling:x"]})


def test_dot_joining_duplicate_keys_and_json_string_detail():
    """Event patterns page considerations (LS-AWS dot_joining_*, multi_key, nested_json_NEG)."""
    assert matches({"detail": {"state.status": ["running"]}}, {"detail": {"state": {"status": "running"}}})
    assert matches({"detail": {"state": {"status": ["running"]}}}, {"detail": {"state.status": "running"}})
    assert matches('{"a": ["x"], "a": ["y"]}', {"a": "y"})
    assert not matches('{"a": ["x"], "a": ["y"]}', {"a": "x"})
    assert not matches({"detail": {"k": ["v"]}}, {"detail": '{"k": "v"}'})


def test_keys_and_operators_are_case_sensitive():
    """LS-AWS key_case_sensitive_NEG and operator_case_sensitive_EXC."""
    assert not matches({"my_key": ["v"]}, {"MY_KEY": "v"})
    assert "Unrecognized match type EXISTS" in error_of({"k": [{"EXISTS": True}]}).message


def test_explain_names_the_failing_field():
    pattern = compile_pattern('{"source": ["aws.ec2"], "detail": {"state": ["running"]}}')
    explanation = pattern.explain(EC2_EVENT)
    assert not explanation.matched
    assert explanation.reasons == ('detail.state: "terminated" does not match ["running"]',)
    assert pattern.explain({**EC2_EVENT, "detail": {"state": "running"}}).matched


def test_pattern_set_agrees_with_each_pattern():
    """One flattening per event for many rules gives the same answers as each pattern alone."""
    texts = {
        "ec2": '{"source": ["aws.ec2"]}',
        "terminated": '{"detail": {"state": ["terminated"]}}',
        "s3": '{"source": ["aws.s3"], "detail-type": ["Object Created"]}',
        "not-ec2": '{"source": [{"anything-but": "aws.ec2"}]}',
        "or": '{"$or": [{"source": ["aws.s3"]}, {"region": [{"prefix": "us-west"}]}]}',
    }
    rules: PatternSet[str] = PatternSet()
    for key, text in texts.items():
        rules.add(key, text)
    assert rules.matching(EC2_EVENT) == ["ec2", "terminated", "or"]
    assert rules.matching({"source": "aws.s3", "detail-type": "Object Created"}) == ["s3", "not-ec2", "or"]
    rules.remove("ec2")
    assert "ec2" not in rules and rules.matching(EC2_EVENT) == ["terminated", "or"]


def test_flatten_event_skips_unused_keys():
    flat = flatten_event({"source": "x", "detail": {"big": list(range(100)), "state": "s"}}, {"detail", "state"})
    assert set(flat.values) == {"detail.state"}


def test_test_event_pattern_event_validation():
    """TestEventPattern: the event needs the envelope fields (LS-AWS: resources may be absent)."""
    event = json.dumps({k: EC2_EVENT[k] for k in ("id", "account", "source", "time", "region", "detail-type")})
    assert validate_test_event(event)["source"] == "aws.ec2"
    for bad in ('"just a string"', "[1, 2]", "{not json", json.dumps({"source": "x"})):
        with pytest.raises(AWSError) as caught:
            validate_test_event(bad)
        assert (caught.value.code, caught.value.message) == ("ValidationException", "Parameter Event is not valid.")
