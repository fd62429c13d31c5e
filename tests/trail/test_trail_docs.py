"""docs/trail.md lists every column and every question, generated from the code."""

from __future__ import annotations

from pathlib import Path

from awslab.trail import catalogue
from awslab.trail.docs import render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "trail.md"


def test_generated_sections_are_current():
    text = PAGE.read_text(encoding="utf-8")
    assert render(text) == text, "run `python -m awslab.trail.docs docs/trail.md`"


def test_every_question_is_documented():
    text = PAGE.read_text(encoding="utf-8")
    for name in catalogue():
        assert f"### `{name}`" in text


def test_every_cli_subcommand_is_documented():
    from awslab.cli import build_parser

    text = PAGE.read_text(encoding="utf-8")
    parser = build_parser()
    groups = parser._subparsers._group_actions[0].choices  # the parser is the source of truth
    for group, sub in groups.items():
        for name in sub._subparsers._group_actions[0].choices:
            assert f"awslab {group} {name}" in text, f"awslab {group} {name} is not documented in docs/trail.md"
