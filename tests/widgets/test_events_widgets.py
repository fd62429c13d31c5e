"""The EventBridge pattern tester, driven by setting ``.value`` on its text boxes.

Cases from the user guide ("Event patterns", "Content filtering") and AWS-recorded TestEventPattern errors.
"""

from __future__ import annotations

import json

from awslab.widgets.events import EXAMPLE_EVENT, pattern_tester


def test_example_does_not_match_and_says_why(lab):
    box, model = pattern_tester(lab.client("events"))
    assert model.matched is False and model.api_result is False
    assert model.reasons == ('detail.state: "pending" does not match ["stopped", "terminated"]',)
    assert "no match" in box.verdict.value and "pending" in box.verdict.value


def test_editing_the_event_re_evaluates():
    box, model = pattern_tester()
    event = json.loads(EXAMPLE_EVENT)
    event["detail"]["state"] = "stopped"
    box.event.value = json.dumps(event)
    assert model.matched is True and model.reasons == () and "match" in box.verdict.value


def test_invalid_pattern_shows_aws_error():
    box, model = pattern_tester()
    box.pattern.value = '{"source": "aws.ec2"}'
    assert model.matched is None
    assert model.error.startswith('InvalidEventPatternException: Event pattern is not valid. Reason: "source" must be '
                                  "an object or an array")
    box.pattern.value = '{"detail": {"state": [{"prefix": ["st"]}]}}'
    assert "prefix match pattern must be a string" in model.error


def test_invalid_event_shows_test_event_pattern_error():
    box, model = pattern_tester()
    box.event.value = json.dumps({"source": "aws.ec2"})
    assert model.error == "ValidationException: Parameter Event is not valid."
    assert "invalid" in box.verdict.value


def test_or_branches_each_give_a_reason():
    box, model = pattern_tester()
    box.pattern.value = json.dumps({"$or": [{"source": ["aws.s3"]}, {"detail": {"state": [{"prefix": "stop"}]}}]})
    assert model.matched is False
    assert [reason.split(":")[0] for reason in model.reasons] == ["branch 1", "branch 2"]
    assert len(model.history) == 2
