"""Widgets for the CloudWatch Logs notebook (30): the filter-pattern tester.

:func:`pattern_tester` returns ``(widget, model)``: a pattern box and sample lines; every change re-runs the
pattern with the lab's own engine (:mod:`awslab.logs.patterns`, the same code FilterLogEvents, metric filters and
TestMetricFilter use) and shows each line matched or not, the text that made it match highlighted, and the
values a metric filter could extract (``$status_code``, ``$.latency``). Tests drive it by setting ``.value``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from ..logs.patterns import FilterPattern, InvalidFilterPattern, compile_filter_pattern

SAMPLE_LINES = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /missing.gif HTTP/1.0" 404 209',
    '{"eventName": "ConsoleLogin", "errorMessage": "Failed authentication", "latency": 120}',
    "[ERROR] 2026-01-01 disk full on /dev/xvda1",
]


def highlight_spans(pattern: FilterPattern, line: str) -> list[tuple[int, int]]:
    """Where a matching line shows why it matched: the terms, the regex match, or the values of the fields the
    pattern tests (their first occurrence in the line)."""
    if not pattern.matches(line):
        return []
    spans: list[tuple[int, int]] = []
    if pattern.kind == "terms":
        for term in pattern.terms:
            if term.role != "exclude":
                spans += [(m.start(), m.end()) for m in re.finditer(re.escape(term.text), line)]
    elif pattern.kind == "regex" and pattern.regex is not None:
        found = re.search(pattern.regex.python, line, re.ASCII)
        if found and found.end() > found.start():
            spans.append((found.start(), found.end()))
    else:
        tested = set()
        if pattern.kind == "space_delimited":
            tested = {f"${f.name}" for f in pattern.fields if f.condition is not None and f.name}
        extracted = pattern.extract(line)
        for name, value in extracted.items():
            if value and (pattern.kind == "json" or name in tested):
                at = line.find(value)
                if at >= 0:
                    spans.append((at, at + len(value)))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(line: str, spans: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(line[at:start]))
        out.append(f"<mark>{html.escape(line[start:end])}</mark>")
        at = end
    out.append(html.escape(line[at:]))
    return "".join(out)


@dataclass
class PatternTesterModel:
    """The pattern, the sample lines, and for each line: matched or not, highlighted spans, extracted values."""

    pattern_text: str = ""
    lines: list[str] = field(default_factory=list)
    pattern: FilterPattern | None = None
    error: str | None = None
    matches: list[bool] = field(default_factory=list)
    spans: list[list[tuple[int, int]]] = field(default_factory=list)
    extracted: list[dict[str, str]] = field(default_factory=list)

    def update(self, pattern_text: str | None = None, lines: list[str] | None = None) -> None:
        if pattern_text is not None:
            self.pattern_text = pattern_text
        if lines is not None:
            self.lines = lines
        self.matches, self.spans, self.extracted = [], [], []
        try:
            self.pattern = compile_filter_pattern(self.pattern_text, "metric")
            self.error = None
        except InvalidFilterPattern as problem:
            self.pattern, self.error = None, f"{problem.code}: {problem.message} ({problem.reason})"
            return
        for line in self.lines:
            matched = self.pattern.matches(line)
            self.matches.append(matched)
            self.spans.append(highlight_spans(self.pattern, line) if matched else [])
            self.extracted.append(self.pattern.extract(line) if matched else {})

    @property
    def matched_count(self) -> int:
        return sum(self.matches)

    def html(self) -> str:
        """The report the widget shows: the pattern's kind and tree, then one row per line."""
        if self.error:
            return f"<p style='color:#b00'>{html.escape(self.error)}</p>"
        assert self.pattern is not None
        tree = html.escape(str(self.pattern))
        rows = []
        for line, matched, spans, values in zip(self.lines, self.matches, self.spans, self.extracted):
            style = ("background:#e8f5e9;border-left:4px solid #2e7d32" if matched
                     else "color:#888;border-left:4px solid #ccc")
            shown = ", ".join(f"<code>{html.escape(k)}</code>={html.escape(v)}" for k, v in values.items())
            rows.append(f"<tr style='{style}'><td>{'✓' if matched else '·'}</td>"
                        f"<td style='font-family:monospace'>{_marked(line, spans)}</td><td>{shown}</td></tr>")
        return (f"<pre style='font-size:85%'>{tree}</pre><p>{self.matched_count} of {len(self.lines)} lines match</p>"
                f"<table>{''.join(rows)}</table>")


def pattern_tester(pattern: str = "[ip, identity, user, timestamp, request, status_code = 404, bytes]",
                   lines: list[str] | None = None) -> tuple[widgets.Widget, PatternTesterModel]:
    """A filter-pattern box, a sample-lines box, and the live report: matches highlighted, values extracted."""
    model = PatternTesterModel()
    pattern_box = widgets.Text(value=pattern, description="Pattern:", layout={"width": "95%"},
                               continuous_update=False)
    lines_box = widgets.Textarea(value="\n".join(SAMPLE_LINES if lines is None else lines), description="Lines:",
                                 layout={"width": "95%", "height": "8em"}, continuous_update=False)
    report = widgets.HTML()

    def refresh(_: Any = None) -> None:
        model.update(pattern_box.value, [line for line in lines_box.value.splitlines() if line.strip()])
        report.value = model.html()

    pattern_box.observe(refresh, names="value")
    lines_box.observe(refresh, names="value")
    refresh()
    box = widgets.VBox([pattern_box, lines_box, report])
    box.pattern, box.lines, box.report = pattern_box, lines_box, report  # handles for tests and notebooks
    return box, model
