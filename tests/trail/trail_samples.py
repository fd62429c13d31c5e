"""Where the real samples are (datasets/, with their licences and sources in datasets/README.md)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "datasets"
INVICTUS = DATASETS / "invictus-ir_aws_dataset" / "CloudTrail"
STRATUS = DATASETS / "datadog_stratus-red-team_detonation-logs" / "detonation-logs"
PLASO = DATASETS / "log2timeline_plaso_lookupevents" / "aws_cloudtrail.jsonl"
