"""What a file's path says before a byte of it is read: its kind, account, region, delivery time.

CloudTrail writes each log file to a fixed S3 key, so a downloaded bucket can be pruned by path
alone (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html)::

    [prefix/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz

The date folders and the name's timestamp are the *delivery* time, not the events' time: a file
holds events that happened before it was delivered, usually within about 5 minutes (the
CloudTrail FAQ says "an average of about 5 minutes", and the time is not guaranteed). Pruning by
time is therefore exact for the start of a range and needs a margin (``delivery_slack``) at its end.

Digest files (``CloudTrail-Digest``), Lake query-result sign files and other services' objects
under ``AWSLogs/`` (Config, ELB, …) are recognised here and never parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import PurePath

LOG_NAME = re.compile(
    r"^(?P<account>\d{12})_CloudTrail(?:-Insight)?_(?P<region>[a-z0-9-]+)_"
    r"(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(?:\.gz)?$")
DIGEST_NAME = re.compile(r"^\d{12}_CloudTrail-Digest_.*\.json(?:\.gz)?$")
LAKE_RESULT_NAME = re.compile(r"^result_\d+\.csv(?:\.gz)?$")
_JSON_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz")
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")


@dataclass(frozen=True)
class FileKey:
    """What the path of one file tells.

    ``kind`` is one of:

    * ``log`` - a CloudTrail (or CloudTrail-Insight) log file named as CloudTrail names them;
    * ``json`` - any other JSON/JSON Lines file (console export, LookupEvents output, …);
    * ``lake_csv`` - a CloudTrail Lake saved query result (``result_N.csv[.gz]``);
    * ``digest`` / ``lake_sign`` / ``other`` - recognised and skipped, never parsed.
    """

    path: str
    kind: str
    account: str | None = None
    region: str | None = None
    organization: str | None = None
    delivered: datetime | None = None
    """Delivery time from the file name (to the minute), else None."""
    day: datetime | None = None
    """Delivery day from the YYYY/MM/DD folders, else None."""


def parse_key(path: str, *, explicit: bool = False) -> FileKey:
    """Classify ``path`` by its name and the folders above it.

    ``explicit`` is True for a file the user named directly: then an unknown extension is read
    as JSON rather than skipped, because the user said it is a trail export.
    """
    parts = PurePath(path).parts
    name = parts[-1] if parts else path
    folders = _trail_folders(parts[:-1])
    if DIGEST_NAME.match(name) or folders.get("service") == "CloudTrail-Digest":
        return FileKey(path, "digest", folders.get("account"), folders.get("region"), folders.get("org"))
    if name == "result_sign.json" and folders.get("service") == "CloudTrail-Lake":
        return FileKey(path, "lake_sign", folders.get("account"))
    if LAKE_RESULT_NAME.match(name) or name.endswith((".csv", ".csv.gz")):
        return FileKey(path, "lake_csv", folders.get("account"))
    match = LOG_NAME.match(name)
    if match:
        delivered = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc)
        return FileKey(path, "log", match["account"], match["region"], folders.get("org"),
                       delivered, folders.get("day") or delivered.replace(hour=0, minute=0))
    service = folders.get("service")
    if service is not None and service not in ("CloudTrail", "CloudTrail-Insight"):
        return FileKey(path, "other", folders.get("account"))  # Config, ELB, … under AWSLogs/
    if name.lower().endswith(_JSON_SUFFIXES) or explicit:
        return FileKey(path, "json", folders.get("account"), folders.get("region"), folders.get("org"),
                       None, folders.get("day"))
    return FileKey(path, "other")


def _trail_folders(folders: tuple[str, ...]) -> dict:
    """Account, organization, service, region and day from the folders after ``AWSLogs``."""
    if "AWSLogs" not in folders:
        return {}
    rest = list(folders[folders.index("AWSLogs") + 1:])
    found: dict = {}
    if rest and _ORG.match(rest[0]):
        found["org"] = rest.pop(0)
    if rest and _ACCOUNT.match(rest[0]):
        found["account"] = rest.pop(0)
    if rest:
        found["service"] = rest.pop(0)
    if rest and found.get("service", "").startswith("CloudTrail") and found["service"] != "CloudTrail-Lake":
        found["region"] = rest.pop(0)
    if len(rest) >= 3 and all(part.isdigit() for part in rest[:3]):
        try:
            found["day"] = datetime(int(rest[0]), int(rest[1]), int(rest[2]), tzinfo=timezone.utc)
        except ValueError:
            pass
    return found


def keep(key: FileKey, *, start: datetime | None = None, end: datetime | None = None,
         accounts: frozenset[str] | None = None, regions: frozenset[str] | None = None,
         delivery_slack: timedelta = timedelta(hours=1)) -> bool:
    """Whether a file can hold events inside the filters; False only when its key proves not.

    A file's events all happened before its delivery minute ended, so ``delivered + 1 minute <
    start`` (or, with only the day folders, ``day + 1 day < start``) excludes it exactly. Late
    delivery has no documented bound, so a file is dropped for ``end`` only when it was delivered
    more than ``delivery_slack`` after ``end``.
    """
    if accounts is not None and key.account is not None and key.account not in accounts:
        return False
    if regions is not None and key.region is not None and key.region not in regions:
        return False
    latest_event = (key.delivered + timedelta(minutes=1) if key.delivered
                    else key.day + timedelta(days=1) if key.day else None)
    if start is not None and latest_event is not None and latest_event < start:
        return False
    earliest_delivery = key.delivered or key.day
    if end is not None and earliest_delivery is not None and earliest_delivery > end + delivery_slack:
        return False
    return True
