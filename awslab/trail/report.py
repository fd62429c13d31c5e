"""One self-contained HTML page answering the whole catalogue for a loaded trail.

Everything on the page that came from the logs is escaped (``html.escape``), so a user agent of
``<script>…</script>`` shows as text; the page also carries a Content-Security-Policy that
allows no script at all, as a second line of defence. Plots are matplotlib PNGs embedded as
``data:`` URIs, so the page needs nothing but itself.
"""

from __future__ import annotations

import base64
import html
import io
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from matplotlib.figure import Figure

from .questions import Question, catalogue

if TYPE_CHECKING:
    from .events import Events

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
.meta { color: #555; } .anchor { color: #666; font-size: 0.85rem; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.5rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; white-space: nowrap; }
th { background: #f3f3f3; } .found { color: #a40; font-weight: bold; } .none { color: #487; }
.plots img { max-width: 48%; margin: 0.5%; border: 1px solid #eee; }
nav a { margin-right: 0.6rem; font-size: 0.85rem; }
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def write_report(events: "Events", out: str | os.PathLike, *, title: str | None = None, top: int = 15,
                 names: Sequence[str] | None = None) -> Path:
    """Run the catalogue over ``events`` and write the page to ``out``; returns its path.

    ``top`` limits the rows shown per question; ``names`` limits the questions."""
    questions = [q for q in catalogue().values() if names is None or q.name in names]
    summary = events.summary
    overview = events.sql(
        "SELECT count(*), min(event_time), max(event_time), count(DISTINCT recipient_account_id), "
        "count(DISTINCT aws_region), count(DISTINCT actor) FROM cloudtrail_events").fetchall()[0]
    count, first, last, accounts, regions, actors = overview
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">",
        f"<title>{_e(title or 'CloudTrail report')}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title or 'CloudTrail report')}</h1>",
        f"<p class=\"meta\">{_e(f'{count:,}')} events from {_e(_cell(first))} to {_e(_cell(last))}; "
        f"{accounts} accounts, {regions} regions, {actors} principals. "
        f"Loader: {_e(str(summary))}.</p>",
        _navigation(questions),
        "<h2 id=\"plots\">At a glance</h2><div class=\"plots\">",
        *_plots(events),
        "</div>",
    ]
    for question in questions:
        parts.append(_section(events, question, top))
    parts.append(_errors(events, top))
    parts.append("<p class=\"meta\">Written by awslab.trail; the SQL of each question is "
                 "<code>events.sql_for(name)</code>.</p></body></html>\n")
    target = Path(out)
    target.write_text("\n".join(parts), encoding="utf-8")
    return target


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _navigation(questions: list[Question]) -> str:
    links = "".join(f"<a href=\"#{_e(q.name)}\">{_e(q.name)}</a>" for q in questions)
    return f"<nav>{links}<a href=\"#load_errors\">load_errors</a></nav>"


def _table(columns: list[str], rows: list[tuple]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(events: "Events", question: Question, top: int) -> str:
    header = (f"<h2 id=\"{_e(question.name)}\">{_e(question.name)}</h2><p>{_e(question.purpose)}</p>"
              f"<p class=\"anchor\">Why: {_e(question.anchor)}</p>")
    if any(p.required for p in question.params):
        needed = ", ".join(p.name for p in question.params if p.required)
        return header + (f"<p class=\"meta\">Needs {_e(needed)}: run "
                         f"<code>events.ask({_e(repr(question.name))}, {_e(needed)}=…)</code>.</p>")
    relation = events.ask(question.name)
    columns = list(relation.columns)
    rows = relation.fetchall()
    if not rows:
        return header + "<p class=\"none\">Nothing found.</p>"
    shown = rows[:top]
    more = f" (first {top} shown)" if len(rows) > top else ""
    return header + f"<p class=\"found\">{_rows(len(rows))}{_e(more)}</p>" + _table(columns, shown)


def _errors(events: "Events", top: int) -> str:
    relation = events.load_errors
    rows = relation.fetchall()
    header = "<h2 id=\"load_errors\">load_errors</h2><p>Input the loader could not use, and why.</p>"
    if not rows:
        return header + "<p class=\"none\">None.</p>"
    return header + f"<p class=\"found\">{_rows(len(rows))}</p>" + _table(list(relation.columns), rows[:top])


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt=\"plot\" src=\"data:image/png;base64,{encoded}\">"


def _plots(events: "Events") -> list[str]:
    """Activity over time, top error codes, identity types and regions."""
    images = []
    first, last = events.sql("SELECT min(event_time), max(event_time) FROM cloudtrail_events").fetchall()[0]
    minutes = (last - first).total_seconds() / 60 if first and last else 0
    # about 24 to 200 points whatever the span: 5-minute, hourly or daily buckets
    bucket = 5 if minutes <= 24 * 60 else 60 if minutes <= 14 * 24 * 60 else 1440
    over_time = events.ask("activity_over_time", bucket_minutes=bucket).fetchall()
    if over_time:
        figure = Figure(figsize=(7, 3))
        axes = figure.subplots()
        times = [row[0] for row in over_time]
        for index, label in ((1, "calls"), (2, "writes"), (3, "errors"), (4, "denied")):
            axes.plot(times, [row[index] for row in over_time], label=label, marker="." if len(times) < 50 else None)
        unit = {5: "5 minutes", 60: "hour", 1440: "day"}[bucket]
        axes.set_title(f"Activity over time (calls per {unit}, UTC)")
        axes.legend(fontsize="small")
        figure.autofmt_xdate()
        images.append(_png(figure))
    for question, label_column, value_column, title in (
            ("error_codes", 1, 2, "Top error codes"), ("identities", 0, 1, "Calls by identity type"),
            ("unused_regions", 0, 1, "Calls by region")):
        rows = events.ask(question).fetchall()
        if question == "unused_regions":
            rows = sorted(rows, key=lambda row: -row[1])
        rows = rows[:12]
        if not rows:
            continue
        figure = Figure(figsize=(7, 3))
        axes = figure.subplots()
        # a "$" would start matplotlib's math text; the labels come from the logs
        labels = [(_cell(row[label_column]) or "(none)").replace("$", r"\$") for row in rows]
        axes.barh(range(len(rows)), [row[value_column] for row in rows])
        axes.set_yticks(range(len(rows)), labels, fontsize="small")
        axes.invert_yaxis()
        axes.set_title(title)
        images.append(_png(figure))
    return images
