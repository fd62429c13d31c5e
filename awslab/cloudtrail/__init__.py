"""CloudTrail: the event record of every call, event history, trails, delivery and integrity.

    >>> from awslab import cloudtrail
    >>> report = cloudtrail.validate_logs(lab, trail="main")          # doctest: +SKIP
    >>> cloudtrail.download_event_history(lab, "history.csv", format="csv")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .delivery import bucket_policy
from .validate import ValidationReport, validate_folder, validate_logs

__all__ = ["bucket_policy", "download_event_history", "validate_logs", "validate_folder", "ValidationReport"]


def download_event_history(lab: Any, path: str | Path, format: str = "json", *, region: str | None = None,
                           **filters: Any) -> Path:
    """Export the lab's event history as the console does: ``format="json"`` ({"Records": [...]})
    or ``"csv"`` (the console's columns). ``filters`` are LookupEvents parameters."""
    return lab.service_for("cloudtrail").download_event_history(path, format, region, **filters)
