"""Widgets for the EventBridge notebook (50).

* :func:`pattern_tester` — an event pattern and an event side by side: whether the event matches, the
  reason when it does not (the first failing field of each ``$or`` branch), and the errors AWS would
  answer for an invalid pattern (InvalidEventPatternException) or event (TestEventPattern's
  ValidationException). It uses the same compiled matcher as PutRule, PutEvents and TestEventPattern.

The factory returns ``(widget, model)``; tests drive it by setting ``.value`` on ``widget.pattern``
and ``widget.event``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from ..errors import AWSError
from ..events.patterns import compile_pattern, validate_test_event

EXAMPLE_PATTERN = json.dumps({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
                              "detail": {"state": ["stopped", "terminated"]}}, indent=2)
EXAMPLE_EVENT = json.dumps({
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-abcd1111", "state": "pending"}}, indent=2)


@dataclass
class PatternTesterModel:
    """The pattern and event under test and what EventBridge makes of them.

    ``matched`` is True/False, or None when the pattern or event is invalid; ``error`` is then AWS's
    ``Code: message``. ``reasons`` says why an event does not match. With a ``client`` (a lab EventBridge
    client) the model also asks TestEventPattern, so ``api_result`` shows the API agrees.
    """

    client: Any = None
    pattern: str = EXAMPLE_PATTERN
    event: str = EXAMPLE_EVENT
    matched: bool | None = None
    reasons: tuple[str, ...] = ()
    error: str | None = None
    api_result: bool | None = None
    history: list[tuple[str, str, bool | None]] = field(default_factory=list)

    def evaluate(self, pattern: str | None = None, event: str | None = None) -> bool | None:
        if pattern is not None:
            self.pattern = pattern
        if event is not None:
            self.event = event
        self.matched, self.reasons, self.error, self.api_result = None, (), None, None
        try:
            compiled = compile_pattern(self.pattern)
            validate_test_event(self.event)
        except AWSError as failure:
            self.error = f"{failure.code}: {failure.message}"
        else:
            explanation = compiled.explain(self.event)
            self.matched, self.reasons = explanation.matched, explanation.reasons
            if self.client is not None:
                self.api_result = self.client.test_event_pattern(EventPattern=self.pattern, Event=self.event)["Result"]
        self.history.append((self.pattern, self.event, self.matched))
        return self.matched

    def summary(self) -> str:
        """One plain-text paragraph: the verdict, then the reasons or the error."""
        if self.error is not None:
            return f"invalid: {self.error}"
        if self.matched:
            return "match: a rule with this pattern would receive the event"
        return "no match:\n" + "\n".join(f"  - {reason}" for reason in self.reasons)

    def html(self) -> str:
        colour = "#b00020" if self.error else "#1b5e20" if self.matched else "#8a6d00"
        api = "" if self.api_result is None else f"<br><small>TestEventPattern says: {self.api_result}</small>"
        return (f'<pre style="color:{colour}; white-space:pre-wrap; margin:0">{html.escape(self.summary())}</pre>'
                f"{api}")


def pattern_tester(client: Any = None, pattern: str = EXAMPLE_PATTERN,
                   event: str = EXAMPLE_EVENT) -> tuple[widgets.Widget, PatternTesterModel]:
    """Two text boxes (pattern, event) and the verdict, re-evaluated as you type."""
    model = PatternTesterModel(client=client, pattern=pattern, event=event)
    layout = widgets.Layout(width="48%", height="260px")
    pattern_box = widgets.Textarea(value=pattern, description="Pattern", layout=layout,
                                   continuous_update=False)
    event_box = widgets.Textarea(value=event, description="Event", layout=layout, continuous_update=False)
    verdict = widgets.HTML()

    def update(_: Any = None) -> None:
        model.evaluate(pattern_box.value, event_box.value)
        verdict.value = model.html()

    pattern_box.observe(update, names="value")
    event_box.observe(update, names="value")
    update()
    box = widgets.VBox([widgets.HBox([pattern_box, event_box]), verdict])
    box.pattern, box.event, box.verdict = pattern_box, event_box, verdict   # handles for tests and notebooks
    return box, model
