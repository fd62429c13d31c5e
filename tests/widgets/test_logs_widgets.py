"""The filter-pattern tester: setting the pattern or the lines re-runs the engine and updates the report.

Cases from LG:FilterAndPatternSyntax and LG:Counting404Responses
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
"""

from __future__ import annotations

from awslab.widgets.logs import SAMPLE_LINES, pattern_tester


def test_default_pattern_counts_the_404_line():
    box, model = pattern_tester()
    assert model.matches == [False, True, False, False]
    assert model.extracted[1]["$status_code"] == "404"
    assert "<mark>404</mark>" in box.report.value
    assert "1 of 4 lines match" in box.report.value


def test_changing_the_pattern_updates_matches_and_highlights():
    box, model = pattern_tester()
    box.pattern.value = '{ $.errorMessage = "Failed authentication" }'
    assert model.matches == [False, False, True, False]
    assert model.extracted[2] == {"$.errorMessage": "Failed authentication"}
    assert "<mark>Failed authentication</mark>" in box.report.value
    box.pattern.value = "ERROR"
    assert model.matches == [False, False, False, True]
    assert model.spans[3] == [(1, 6)]
    box.pattern.value = "%disk [a-z]+%"
    assert model.spans[3] == [(len("[ERROR] 2026-01-01 "), len("[ERROR] 2026-01-01 disk full"))]


def test_changing_the_lines_and_a_bad_pattern():
    box, model = pattern_tester()
    box.lines.value = "GET 404\nGET 200\n\n"
    box.pattern.value = "404"
    assert model.lines == ["GET 404", "GET 200"] and model.matches == [True, False]
    box.pattern.value = "{ $.a = "
    assert model.pattern is None and model.error.startswith("InvalidParameterException")
    assert "must end with" in box.report.value
    box.pattern.value = ""
    assert model.matches == [True, True]  # an empty pattern matches every event


def test_custom_lines_argument():
    _, model = pattern_tester("[w1=ERROR, w2]", ["ERROR disk full", "INFO ok"])
    assert model.matches == [True, False]
    assert model.extracted[0] == {"$w1": "ERROR", "$w2": "disk full"}
    assert len(SAMPLE_LINES) == 4
