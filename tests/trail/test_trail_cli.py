"""The `awslab` command: a thin layer over awslab.trail."""

from __future__ import annotations

import json

from awslab.cli import build_parser, main
from awslab.trail import catalogue
from trail_samples import INVICTUS, STRATUS


def test_trail_load_prints_the_summary_and_saves(tmp_path, capsys):
    out = tmp_path / "events.parquet"
    assert main(["trail", "load", str(INVICTUS), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "55 files read, 2,900 records loaded, 0 records rejected" in printed
    assert out.exists()


def test_trail_load_shows_a_progress_bar_and_rejections(tmp_path, capsys):
    (tmp_path / "bad.json").write_text('{"Records": [1]}')
    assert main(["trail", "load", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "1 records rejected" in captured.out
    assert "rejected:" in captured.err and "record is not a JSON object" in captured.err
    assert "100%" in captured.err


def test_trail_report_writes_the_page(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["trail", "report", str(STRATUS), "--out", str(out), "--quiet"]) == 0
    assert out.exists() and "cloudtrail_tampering" in out.read_text()


def test_trail_ask_with_parameters_and_formats(tmp_path, capsys):
    assert main(["trail", "ask", "top_talkers", str(INVICTUS), "--param", "limit=2", "--format", "json", "--quiet"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [row["actor"] for row in answer] == ["bert-jan", "benjamin"]


def test_trail_ask_on_a_saved_database(tmp_path, capsys):
    saved = tmp_path / "trail.duckdb"
    main(["trail", "load", str(STRATUS), "--out", str(saved), "--quiet"])
    capsys.readouterr()
    assert main(["trail", "ask", "unused_regions", str(saved), "--param", "allowed_regions=us-north-2r",
                 "--format", "csv"]) == 0
    assert "us-north-2r" not in capsys.readouterr().out.split("\n", 1)[1]


def test_trail_questions_lists_the_catalogue(capsys):
    assert main(["trail", "questions"]) == 0
    printed = capsys.readouterr().out
    assert all(name in printed for name in catalogue())


def test_trail_generate(tmp_path, capsys):
    assert main(["trail", "generate", str(tmp_path), "--records", "300"]) == 0
    assert "records in" in capsys.readouterr().out
    assert any(tmp_path.rglob("*_CloudTrail_*.json.gz"))


def test_every_trail_subcommand_is_one_function():
    parser = build_parser()
    trail = next(a for a in parser._subparsers._group_actions[0].choices["trail"]._subparsers._group_actions)
    for name, sub in trail.choices.items():
        assert sub.get_default("handler").__name__ == f"trail_{name}"
