"""Documentation that is generated from the code must match it."""

from __future__ import annotations

from pathlib import Path

from awslab import Lab
from awslab.tables_doc import render

ROOT = Path(__file__).resolve().parents[1]


def test_tables_page_is_current():
    expected = render(Lab())
    assert (ROOT / "docs" / "tables.md").read_text() == expected, "run `make docs` to regenerate docs/tables.md"


def test_readme_leads_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_lines = "\n".join(readme.splitlines()[:25])
    assert "make lab" in first_lines and "make test" in first_lines
