"""Log-file integrity validation, as ``aws cloudtrail validate-logs`` does it, in the lab or offline.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html

Starting from the newest digest in range and walking back through ``previousDigestS3Object``:
each digest must parse, sit where it says it was written, and carry a signature that verifies
with its region's public key (the newest one's signature is in the S3 object's metadata; each
older one's is copied into its successor); every log file a valid digest lists must exist and
hash (SHA-256 of the uncompressed bytes) to the recorded value. Results use the CLI's words:
``valid``, ``INVALID: hash value doesn't match``, ``INVALID: not found``, ``INVALID: invalid
format``, ``INVALID: has been moved from its original location``, ``INVALID: signature
verification failed``; and a gap notice where the chain starts again.

Offline (a downloaded ``AWSLogs/`` folder) the newest digest's signature is not in the files:
it is reported ``valid (signature not checked offline)`` unless a ``<digest>.signature`` file
holding the hex signature sits beside it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Protocol

from . import keys

_DIGEST_NAME = re.compile(
    r"(?P<account>\d{12})_CloudTrail-Digest_(?P<region>[a-z0-9-]+)_(?P<trail>.+)_(?P<home>[a-z0-9-]+)_"
    r"(?P<stamp>\d{8}T\d{6}Z)(?:_backfill)?\.json\.gz$")


class Store(Protocol):
    """Where the files are: the lab's S3 bucket, or a local folder."""

    bucket: str

    def keys(self, prefix: str) -> list[str]: ...

    def read(self, key: str) -> bytes | None: ...

    def signature(self, key: str) -> str | None: ...


class LocalStore:
    """A downloaded bucket: ``root`` holds ``AWSLogs/`` (keys are paths relative to ``root``)."""

    def __init__(self, root: str | Path, bucket: str | None = None) -> None:
        self.root = Path(root)
        self.bucket = bucket or self.root.name

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)).replace("\\", "/") for p in base.rglob("*") if p.is_file())

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def signature(self, key: str) -> str | None:
        sidecar = self.root / f"{key}.signature"
        return sidecar.read_text().strip() if sidecar.is_file() else None


@dataclass
class FileResult:
    kind: str        # "Digest file" or "Log file"
    uri: str
    status: str      # "valid", "valid (signature not checked offline)" or "INVALID: <reason>"

    @property
    def valid(self) -> bool:
        return self.status.startswith("valid")


@dataclass
class ValidationReport:
    trail: str
    start: datetime
    end: datetime
    files: list[FileResult] = field(default_factory=list)
    gaps: list[tuple[str, str]] = field(default_factory=list)

    def _of(self, kind: str) -> list[FileResult]:
        return [f for f in self.files if f.kind == kind]

    @property
    def digests(self) -> list[FileResult]:
        return self._of("Digest file")

    @property
    def logs(self) -> list[FileResult]:
        return self._of("Log file")

    @property
    def ok(self) -> bool:
        return all(f.valid for f in self.files)

    def invalid(self) -> list[FileResult]:
        return [f for f in self.files if not f.valid]

    def summary(self) -> str:
        lines = [f"Results requested for {_iso(self.start)} to {_iso(self.end)}"]
        if not self.digests:
            lines.append("No digests found")
            return "\n".join(lines)
        lines.append(f"Results found for {_iso(self.start)} to {_iso(self.end)}:")
        for kind, label in (("Digest file", "digest files"), ("Log file", "log files")):
            found = self._of(kind)
            good = sum(f.valid for f in found)
            bad = len(found) - good
            lines.append(f"{good}/{len(found)} {label} valid" + (f", {bad}/{len(found)} {label} INVALID" if bad else ""))
        return "\n".join(lines)

    def text(self, verbose: bool = False) -> str:
        """The CLI's report: a header, one line per file (valid ones only when verbose), gaps, summary."""
        lines = [f"Validating log files for trail {self.trail} between {_iso(self.start)} and {_iso(self.end)}", ""]
        for f in self.files:
            if verbose or not f.valid:
                lines.append(f"{f.kind} {f.uri}\t{f.status}")
        for older, newer in self.gaps:
            lines.append(f"No log files were delivered by CloudTrail between {older} and {newer}")
        return "\n".join(lines + ["", self.summary()])


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(key: str) -> datetime | None:
    match = _DIGEST_NAME.search(key)
    if not match:
        return None
    return datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def _load(data: bytes | None) -> tuple[dict[str, Any] | None, bytes | None]:
    if data is None:
        return None, None
    try:
        raw = gzip.decompress(data)
        return json.loads(raw), raw
    except (OSError, EOFError, ValueError):
        return None, None


def validate_chain(store: Store, digest_keys: Iterable[str], public_keys: dict[str, bytes], *,
                   trail: str, start: datetime, end: datetime) -> ValidationReport:
    """Validate the digests ``digest_keys`` (one trail, one region) and the log files they list."""
    report = ValidationReport(trail, start, end)
    listed = sorted((k for k in digest_keys if (s := _stamp(k)) and start <= s <= end), key=_stamp, reverse=True)
    known_signature: dict[str, str] = {}
    visited: set[str] = set()
    index = 0
    while index < len(listed):
        key = listed[index]
        index += 1
        if key in visited:
            continue
        visited.add(key)
        uri = f"s3://{store.bucket}/{key}"
        digest, raw = _load(store.read(key))
        if store.read(key) is None:
            report.files.append(FileResult("Digest file", uri, "INVALID: not found"))
            continue
        if digest is None or not all(k in digest for k in ("digestPublicKeyFingerprint", "digestS3Bucket",
                                                           "digestS3Object", "previousDigestSignature",
                                                           "digestEndTime", "digestStartTime")):
            report.files.append(FileResult("Digest file", uri, "INVALID: invalid format"))
            continue
        status = _check_digest(store, key, digest, raw, public_keys, known_signature.get(key))
        report.files.append(FileResult("Digest file", uri, status))
        if status.startswith("valid"):
            for log in digest.get("logFiles") or []:
                report.files.append(FileResult("Log file", f"s3://{log['s3Bucket']}/{log['s3Object']}",
                                               _check_log(store, log)))
        previous = digest.get("previousDigestS3Object")
        if previous:
            known_signature[previous] = digest.get("previousDigestSignature") or ""
            if previous not in listed and (s := _stamp(previous)) and start <= s <= end:
                report.files.append(FileResult("Digest file", f"s3://{store.bucket}/{previous}", "INVALID: not found"))
                visited.add(previous)
            elif previous in listed and listed.index(previous) >= index:
                # walk the chain: the previous digest comes next
                listed.insert(index, listed.pop(listed.index(previous)))
        elif index < len(listed):
            report.gaps.append((_iso(_stamp(listed[index])), digest["digestStartTime"]))
    return report


def _check_digest(store: Store, key: str, digest: dict[str, Any], raw: bytes, public_keys: dict[str, bytes],
                  chained_signature: str | None) -> str:
    if digest["digestS3Bucket"] != store.bucket or digest["digestS3Object"] != key:
        return "INVALID: has been moved from its original location"
    fingerprint = digest["digestPublicKeyFingerprint"]
    if fingerprint not in public_keys:
        return f"INVALID: public key not found for fingerprint {fingerprint}"
    signature = chained_signature or store.signature(key)
    if not signature:
        return "valid (signature not checked offline)"
    text = keys.string_to_sign(digest["digestEndTime"], digest["digestS3Bucket"], digest["digestS3Object"], raw,
                               digest["previousDigestSignature"])
    return "valid" if keys.verify(public_keys[fingerprint], text, signature) else "INVALID: signature verification failed"


def _check_log(store: Store, log: dict[str, Any]) -> str:
    data = store.read(log["s3Object"])
    if data is None:
        return "INVALID: not found"
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError):
        return "INVALID: invalid format"
    return "valid" if hashlib.sha256(raw).hexdigest() == log["hashValue"] else "INVALID: hash value doesn't match"


def digest_groups(store: Store, prefix: str = "") -> dict[tuple[str, str, str, str], list[str]]:
    """Every digest under ``prefix`` grouped by (account, region, trail, home region)."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for key in store.keys(prefix):
        match = _DIGEST_NAME.search(key)
        if match and "/CloudTrail-Digest/" in key:
            groups.setdefault((match["account"], match["region"], match["trail"], match["home"]), []).append(key)
    return groups


def read_public_keys(path: str | Path) -> dict[str, bytes]:
    """Public keys by fingerprint from a PEM or DER file, or saved ``list-public-keys`` JSON output."""
    import base64

    data = Path(path).read_bytes()
    if data.lstrip().startswith(b"{"):
        listing = json.loads(data)
        return {k["Fingerprint"]: base64.b64decode(k["Value"]) for k in listing.get("PublicKeyList", [])}
    if b"-----BEGIN" in data:
        from cryptography.hazmat.primitives import serialization

        public = serialization.load_pem_public_key(data)
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    else:
        der = data
    return {hashlib.md5(der).hexdigest(): der}


def validate_folder(root: str | Path, public_key_file: str | Path, *, trail: str | None = None,
                    start: datetime | None = None, end: datetime | None = None) -> list[ValidationReport]:
    """Validate a downloaded bucket offline: every trail and region found, or only ``trail``."""
    store = LocalStore(root)
    public_keys = read_public_keys(public_key_file)
    reports = []
    for (account, region, name, home), digest_keys in sorted(digest_groups(store).items()):
        if trail and name != trail:
            continue
        stamps = [_stamp(k) for k in digest_keys]
        reports.append(validate_chain(store, digest_keys, public_keys,
                                      trail=f"arn:aws:cloudtrail:{home}:{account}:trail/{name} ({region})",
                                      start=start or min(stamps), end=end or max(stamps)))
    return reports


class LabStore:
    """A bucket of the lab's S3, read through boto3 as the learner reads it."""

    def __init__(self, lab: Any, bucket: str) -> None:
        self.s3 = lab.client("s3")
        self.bucket = bucket

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError:
            return None

    def signature(self, key: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            return self.s3.head_object(Bucket=self.bucket, Key=key).get("Metadata", {}).get("signature")
        except ClientError:
            return None


def validate_logs(lab: Any, trail: str = "main", start_time: datetime | str | None = None,
                  end_time: datetime | str | None = None) -> ValidationReport:
    """``aws cloudtrail validate-logs`` for a lab trail: every region the trail delivers, one report."""
    from ..clock import parse_instant

    cloudtrail = lab.client("cloudtrail")
    info = cloudtrail.get_trail(Name=trail)["Trail"]
    start = parse_instant(start_time) if start_time else lab.start
    end = parse_instant(end_time) if end_time else lab.now
    store = LabStore(lab, info["S3BucketName"])
    prefix = f"{info['S3KeyPrefix']}/" if info.get("S3KeyPrefix") else ""
    account = info["TrailARN"].split(":")[4]
    regions = lab.regions if info["IsMultiRegionTrail"] else (info["HomeRegion"],)
    report = ValidationReport(info["TrailARN"], start, end)
    for region in regions:
        public_keys = {k["Fingerprint"]: k["Value"] for k in
                       lab.client("cloudtrail", region_name=region).list_public_keys()["PublicKeyList"]}
        digest_keys = [k for k in store.keys(f"{prefix}AWSLogs/{account}/CloudTrail-Digest/{region}/")
                       if (m := _DIGEST_NAME.search(k)) and m["trail"] == info["Name"]]
        part = validate_chain(store, digest_keys, public_keys, trail=info["TrailARN"], start=start, end=end)
        report.files.extend(part.files)
        report.gaps.extend(part.gaps)
    return report
