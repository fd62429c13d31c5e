"""The generator writes what a trail writes: the S3 layout and names, gzip, digests beside."""

from __future__ import annotations

import gzip
import json

from awslab.trail.generate import build_templates, generate_trail, sensitive_names, templates
from awslab.trail.keys import LOG_NAME, parse_key


def test_layout_and_names_follow_cloudtrail(generated):
    logs = sorted(generated.root.rglob("*.json.gz"))
    trail_logs = [p for p in logs if "CloudTrail-Digest" not in p.parts]
    assert len(trail_logs) == generated.files
    for path in trail_logs:
        assert LOG_NAME.match(path.name)
        key = parse_key(str(path))
        assert key.kind == "log" and key.account in (*generated.accounts, None) or key.account
        assert path.parts[-2:-1][0] == f"{key.delivered:%d}"
        body = json.loads(gzip.decompress(path.read_bytes()))
        assert list(body) == ["Records"] and body["Records"]
    assert any(parse_key(str(p)).kind == "digest" for p in logs)


def test_same_seed_same_bytes(tmp_path):
    first = generate_trail(tmp_path / "a", 400, seed=3)
    second = generate_trail(tmp_path / "b", 400, seed=3)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and first.records == second.records
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)


def test_size_accounts_and_regions(tmp_path):
    made = generate_trail(tmp_path, 2000, seed=1, accounts=("111111111111", "222222222222"),
                          regions=("eu-west-1",), incidents=False, digests=False)
    assert made.records == 2000 and made.expected == {}
    accounts = {parse_key(str(p)).account for p in tmp_path.rglob("*.json.gz")}
    assert accounts == {"111111111111", "222222222222"}


def test_templates_avoid_what_the_questions_look_for():
    """Base traffic must stay quiet, so every question's answer in a generated trail is exact."""
    names = sensitive_names()
    assert {"StopLogging", "ConsoleLogin", "GetSecretValue"} <= names
    assert not any(t["eventName"] in names for t in templates())
    assert build_templates([{"eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com"}]) == []
