"""A realistic CloudTrail trail of any size, written as a trail writes it to S3, gzipped.

The records are shaped like real ones: each is one of the templates in ``templates.json``, which
are real records from invictus-ir/aws_dataset (MIT licence, see datasets/README.md) with their
identity, time, address and ids taken out, weighted by how often each API appeared. The lab's
identities (awslab.identity.Principal) make the calls, from documentation address ranges
(RFC 5737), in a few accounts and regions. Files follow the S3 layout and naming of
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
with one or more files per account, region and 5-minute delivery slot, and one digest file per
hour (skipped by the loader, as it should be).

With ``incidents=True`` a fixed set of security events is mixed in (root sign-in, console
sign-ins without MFA, password spraying, CloudTrail stopped, a public security group, a shared
snapshot, mass secret retrieval, …); the returned ``GeneratedTrail.expected`` says what each
question of the catalogue must then find, which is how the catalogue is tested. Base traffic
never contains an API any question looks for, so those answers are exact.

Deterministic: the same arguments and seed give byte-identical files.

    python -m awslab.trail.generate OUT_DIR --records 100000
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import json
import math
import os
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from ..identity import Principal
from .loader import instant

SLOT = 300  # CloudTrail delivers about every 5 minutes
_SAMPLE_ACCOUNT = "123837392027"  # the account in the invictus-ir records the templates come from
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_TEMPLATE_FIELDS = ("eventVersion", "eventSource", "eventName", "eventType", "readOnly", "managementEvent",
                    "eventCategory", "requestParameters", "responseElements", "additionalEventData",
                    "errorCode", "errorMessage", "apiVersion", "tlsDetails", "vpcEndpointId", "resources",
                    "serviceEventDetails")
_USER_AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#legacy Botocore/1.34.69",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0",
    "aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.151.0",
]


@dataclass
class GeneratedTrail:
    """What ``generate_trail`` wrote, and what the questions must find in it."""

    root: Path
    files: int
    records: int
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    start: datetime
    end: datetime
    expected: dict[str, Any] = field(default_factory=dict)
    """Known answers for the injected incidents (see ``_Incidents``); empty without incidents."""


# --- templates -----------------------------------------------------------------------------------

def sensitive_names() -> frozenset[str]:
    """Every eventName a catalogue question looks for: base traffic must not contain them."""
    from .questions import catalogue
    names: set[str] = set()
    for question in catalogue().values():
        names.update(re.findall(r"'([A-Z][A-Za-z0-9]+)%?'", question.sql))
    return frozenset(names)


def build_templates(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Templates from real records: one per (source, name, error, identity kind), weighted by count.

    Records an incident question would find (sensitive names, permission errors, console
    credentials, organization writes) are left out, so generated base traffic is quiet."""
    sensitive = sensitive_names()
    prefixes = ("UpdateFunctionCode", "UpdateFunctionConfiguration", "AddPermission", "CreateFunction",
                "PublishLayerVersion", "CreateFunctionUrlConfig")
    groups: dict[tuple, dict[str, Any]] = {}
    counts: Counter = Counter()
    for record in records:
        name, error = record.get("eventName", ""), record.get("errorCode") or ""
        identity = record.get("userIdentity") or {}
        kind = ("service" if identity.get("type") in (None, "AWSService")
                else "linked" if "AWSServiceRoleFor" in (identity.get("arn") or "") else "principal")
        if (name in sensitive or name.startswith(prefixes) or "AccessDenied" in error
                or "Unauthorized" in error or record.get("eventSource") == "organizations.amazonaws.com"
                or record.get("eventType") == "AwsConsoleSignIn"):
            continue
        key = (record.get("eventSource"), name, error, kind)
        counts[key] += 1
        if key not in groups:
            template = {f: record[f] for f in _TEMPLATE_FIELDS if f in record}
            template["kind"] = kind
            if kind != "principal":
                template["userIdentity"] = identity
                template["sourceIPAddress"] = record.get("sourceIPAddress")
                template["userAgent"] = record.get("userAgent")
            groups[key] = template
    return [dict(groups[key], weight=counts[key]) for key in sorted(groups, key=lambda k: tuple(map(str, k)))]


def templates() -> list[dict[str, Any]]:
    """The bundled templates (built from datasets/invictus-ir_aws_dataset by ``--build-templates``)."""
    text = (resources.files(__package__) / "templates.json").read_text(encoding="utf-8")
    return json.loads(text)["templates"]


# --- the world -----------------------------------------------------------------------------------

@dataclass
class _Caller:
    identity: str          # rendered userIdentity JSON
    ips: tuple[str, ...]
    user_agent: str        # rendered JSON string
    weight: float


def _callers(account: str, rng: random.Random, day: datetime) -> list[_Caller]:
    people = [Principal.user(name, account) for name in ("alice", "bob", "carol", "dave", "erin", "ci-bot")]
    roles = [Principal.assumed_role(role, session, account, session_created=day)
             for role, session in (("Admin", "alice"), ("Deploy", "github-actions"), ("ReadOnly", "auditor"),
                                   ("DataPipeline", "etl-nightly"))]
    callers = []
    for index, principal in enumerate(people + roles):
        ips = tuple(f"{net}.{rng.randrange(1, 255)}" for net in ("203.0.113", "192.0.2")[: 1 + index % 2])
        callers.append(_Caller(json.dumps(principal.user_identity(), separators=(",", ":")), ips,
                               json.dumps(rng.choice(_USER_AGENTS)), 3.0 if principal.kind == "AssumedRole" else 1.0))
    return callers


# --- writing -------------------------------------------------------------------------------------

def _static(template: dict[str, Any], region: str) -> str:
    """The template's fixed fields as a JSON fragment (no braces), moved to ``region``."""
    fixed = {k: template[k] for k in _TEMPLATE_FIELDS if k in template}
    return json.dumps(fixed, separators=(",", ":"))[1:-1].replace("us-east-1", region)


def _uuid(rng: random.Random) -> str:
    value = rng.getrandbits(128)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[value & 3]}{text[17:20]}-{text[20:]}"


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def generate_trail(out_dir: str | os.PathLike, records: int = 10_000, *, seed: int = 0,
                   start: Any = "2026-01-01T00:00:00Z", days: float | None = None,
                   accounts: Iterable[str] = ("111122223333",), regions: Iterable[str] = ("us-east-1", "eu-west-1"),
                   incidents: bool = True, digests: bool = True, records_per_file: int = 250,
                   compresslevel: int = 6, prefix: str = "") -> GeneratedTrail:
    """Write about ``records`` base records (plus incidents) under ``out_dir/[prefix/]AWSLogs/``.

    ``days`` spreads them over that many days (default: enough 5-minute slots for about
    ``records_per_file`` records a file)."""
    rng = random.Random(seed)
    accounts, regions = tuple(accounts), tuple(regions)
    begin = instant(start)
    streams = [(a, r) for a in accounts for r in regions]
    if days is None:
        slots = max(12, math.ceil(records / records_per_file / len(streams)))
        span = slots * SLOT
    else:
        span = days * 86400
    epoch0 = begin.timestamp()
    pool = templates()
    weights = [t["weight"] for t in pool]
    callers = {a: _callers(a, rng, begin) for a in accounts}
    caller_weights = [c.weight for c in callers[accounts[0]]]
    static_cache: dict[tuple[int, str, str], str] = {}
    chosen = rng.choices(range(len(pool)), weights=weights, k=records)
    who = rng.choices(range(len(caller_weights)), weights=caller_weights, k=records)
    times = sorted(rng.random() * span for _ in range(records))

    def base_record(n: int) -> tuple[tuple[str, str], str]:
        account, region = streams[rng.randrange(len(streams))]
        t_index = chosen[n]
        template = pool[t_index]
        static = static_cache.get((t_index, region, account))
        if static is None:
            static = static_cache[(t_index, region, account)] = (
                _static(template, region).replace(_SAMPLE_ACCOUNT, account))
        if template["kind"] == "principal":
            caller = callers[account][who[n]]
            identity, ip, agent = caller.identity, rng.choice(caller.ips), caller.user_agent
        else:
            identity = json.dumps(template["userIdentity"], separators=(",", ":")).replace(_SAMPLE_ACCOUNT, account)
            ip, agent = template["sourceIPAddress"], json.dumps(template["userAgent"])
        text = (f'{{{static},"userIdentity":{identity},"eventTime":"{_stamp(epoch0 + times[n])}",'
                f'"awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":{agent},'
                f'"requestID":"{_uuid(rng)}","eventID":"{_uuid(rng)}","recipientAccountId":"{account}"}}')
        return (account, region), text

    injected = _Incidents(accounts, regions, begin, span, rng) if incidents else None
    extra = sorted(((offset, i) for i, (_, offset, _) in enumerate(injected.records)) if injected else [])
    root = Path(out_dir) / prefix / "AWSLogs" if prefix else Path(out_dir) / "AWSLogs"
    counts = {"files": 0, "records": 0}
    hours: set[tuple[str, str, int]] = set()

    def flush(slot: int, buffers: dict[tuple[str, str], list[str]]) -> None:
        for (account, region) in sorted(buffers):
            items = buffers[(account, region)]
            pieces = max(1, math.ceil(len(items) / (2 * records_per_file)))
            for piece in range(pieces):
                part = items[piece::pieces]
                delivered = epoch0 + (slot + 1) * SLOT + rng.randrange(30, 600)
                stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(delivered))
                folder = root / account / "CloudTrail" / region / time.strftime("%Y/%m/%d", time.gmtime(delivered))
                folder.mkdir(parents=True, exist_ok=True)
                unique = "".join(rng.choice(_ALPHABET) for _ in range(16))
                body = '{"Records":[' + ",".join(part) + "]}"
                path = folder / f"{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz"
                path.write_bytes(gzip.compress(body.encode(), compresslevel=compresslevel, mtime=0))
                counts["files"] += 1
                counts["records"] += len(part)
                hours.add((account, region, int(delivered // 3600)))

    # Walk time forward once, merging base records and incidents, writing each 5-minute slot
    # as soon as it is complete, so memory holds one slot, not the trail.
    merged = heapq.merge(((t, n, False) for n, t in enumerate(times)), ((t, i, True) for t, i in extra))
    current, buffers = None, defaultdict(list)
    for offset, index, is_incident in merged:
        slot = int(offset // SLOT)
        if slot != current:
            if current is not None:
                flush(current, buffers)
            current, buffers = slot, defaultdict(list)
        if is_incident:
            stream, _, record = injected.records[index]
            text = json.dumps(record, separators=(",", ":"))
        else:
            stream, text = base_record(index)
        buffers[stream].append(text)
    if current is not None:
        flush(current, buffers)
    if digests:
        for account, region, hour in sorted(hours):
            _write_digest(root, account, region, hour * 3600)
        config = root / accounts[0] / "Config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "ConfigWritabilityCheckFile").write_text("")  # what AWS Config leaves in the bucket
    return GeneratedTrail(Path(out_dir), counts["files"], counts["records"], accounts, regions, begin,
                          begin + timedelta(seconds=span), injected.expected if injected else {})


def _write_digest(root: Path, account: str, region: str, epoch: int) -> None:
    """A digest file in its own prefix; its content follows the digest file structure page but
    is not signed (the loader only has to recognise and skip it)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))
    folder = root / account / "CloudTrail-Digest" / region / time.strftime("%Y/%m/%d", time.gmtime(epoch))
    folder.mkdir(parents=True, exist_ok=True)
    body = {"awsAccountId": account, "digestStartTime": _stamp(epoch - 3600), "digestEndTime": _stamp(epoch),
            "digestS3Bucket": "example-trail-bucket", "digestS3Object": "", "newestEventTime": _stamp(epoch),
            "oldestEventTime": _stamp(epoch - 3600), "previousDigestS3Bucket": None,
            "previousDigestHashValue": None, "previousDigestHashAlgorithm": None,
            "previousDigestSignature": None, "digestPublicKeyFingerprint": "0" * 32,
            "digestSignatureAlgorithm": "SHA256withRSA", "logFiles": []}
    name = f"{account}_CloudTrail-Digest_{region}_management-events_{region}_{stamp}.json.gz"
    (folder / name).write_bytes(gzip.compress(json.dumps(body).encode(), mtime=0))


# --- incidents -----------------------------------------------------------------------------------

class _Incidents:
    """The security events mixed into a generated trail, and the answers they imply.

    Times are fixed fractions of the trail's span so every size of trail holds them all."""

    MALLORY_IP = "198.51.100.13"
    SPRAY_IP = "198.51.100.66"
    BRUTE_IP = "192.0.2.99"

    def __init__(self, accounts: tuple[str, ...], regions: tuple[str, ...], begin: datetime, span: float,
                 rng: random.Random) -> None:
        self.account, self.region = accounts[0], regions[0]
        self.begin, self.span, self.rng = begin, span, rng
        self.records: list[tuple[tuple[str, str], float, dict[str, Any]]] = []
        self.mallory = Principal.user("mallory", self.account)
        self._build()

    def _at(self, fraction: float, seconds: float = 0) -> float:
        """The start of the hour ``fraction`` of the way through the trail, plus ``seconds``: each
        burst then falls in one hourly window."""
        hour_start = (fraction * self.span // 3600) * 3600
        return min(hour_start + seconds, self.span - 1)

    def add(self, offset: float, principal: Principal | dict[str, Any], source: str, name: str, *,
            ip: str = MALLORY_IP, region: str | None = None, agent: str = "aws-cli/2.15.30 Python/3.11.8",
            error: tuple[str, str] | None = None, read_only: bool = False, **fields: Any) -> None:
        region = region or self.region
        identity = principal if isinstance(principal, dict) else principal.user_identity()
        record = {"eventVersion": "1.09", "userIdentity": identity,
                  "eventTime": _stamp(self.begin.timestamp() + offset), "eventSource": source, "eventName": name,
                  "awsRegion": region, "sourceIPAddress": ip, "userAgent": agent,
                  "requestParameters": fields.pop("request", None), "responseElements": fields.pop("response", None),
                  "requestID": _uuid(self.rng), "eventID": _uuid(self.rng), "readOnly": read_only,
                  "eventType": fields.pop("event_type", "AwsApiCall"), "managementEvent": True,
                  "recipientAccountId": fields.pop("recipient", self.account), "eventCategory": "Management",
                  "tlsDetails": fields.pop("tls", {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                                   "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com"})}
        if error:
            record["errorCode"], record["errorMessage"] = error
        record.update(fields)
        self.records.append(((record["recipientAccountId"], region), offset, record))

    def _console_login(self, offset: float, principal: Principal | dict[str, Any], *, ok: bool, mfa: bool,
                       ip: str, name: str | None = None) -> None:
        identity = principal if isinstance(principal, dict) else principal.user_identity()
        identity = dict(identity, accessKeyId="")
        if name is not None:
            identity["userName"] = name
        self.add(offset, identity, "signin.amazonaws.com", "ConsoleLogin", ip=ip, region="us-east-1",
                 agent="Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
                 event_type="AwsConsoleSignIn", response={"ConsoleLogin": "Success" if ok else "Failure"},
                 additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home",
                                      "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"},
                 error=None if ok else (None, "Failed authentication"))
        if not ok:  # a failed sign-in has errorMessage but no errorCode
            self.records[-1][2].pop("errorCode", None)

    def _build(self) -> None:
        acct, mallory = self.account, self.mallory
        root = Principal.root(acct)
        # root: a console sign-in without MFA, then one call
        self._console_login(self._at(0.10), root, ok=True, mfa=False, ip="203.0.113.250")
        self.add(self._at(0.10, 60), root, "ec2.amazonaws.com", "DescribeInstances", ip="203.0.113.250",
                 read_only=True)
        # console sign-ins: dave without MFA, erin with MFA
        self._console_login(self._at(0.12), Principal.user("dave", acct), ok=True, mfa=False, ip="203.0.113.40")
        self._console_login(self._at(0.13), Principal.user("erin", acct), ok=True, mfa=True, ip="203.0.113.41")
        # spraying: one IP, five users, one failure each; brute force: twelve failures on erin
        for i, user in enumerate(("alice", "bob", "carol", "dave", "admin")):
            self._console_login(self._at(0.20, 30 * i), Principal.user(user, acct), ok=False, mfa=False,
                                ip=self.SPRAY_IP)
        for i in range(12):
            self._console_login(self._at(0.22, 20 * i), Principal.user("erin", acct), ok=False, mfa=False,
                                ip=self.BRUTE_IP)
        # mallory: denied reconnaissance, then persistence and defence evasion
        before_mallory = len(self.records)
        denied = [("iam.amazonaws.com", "ListUsers", ("AccessDenied", "User is not authorized")),
                  ("ec2.amazonaws.com", "DescribeInstances", ("Client.UnauthorizedOperation", "You are not authorized"))]
        for i in range(25):
            source, name, error = denied[i % 2]
            self.add(self._at(0.30, 40 * i), mallory, source, name, error=error, read_only=True)
        for i in range(8):
            self.add(self._at(0.32, 15 * i), mallory, "ec2.amazonaws.com", "GetPasswordData", read_only=True,
                     error=("Client.UnauthorizedOperation", "You are not authorized"),
                     request={"instanceId": "i-0a1b2c3d4e5f60718"})
        self.add(self._at(0.40), mallory, "iam.amazonaws.com", "CreateUser", request={"userName": "backdoor"})
        self.add(self._at(0.40, 20), mallory, "iam.amazonaws.com", "CreateAccessKey", request={"userName": "backdoor"},
                 response={"accessKey": {"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "status": "Active", "userName": "backdoor"}})
        self.add(self._at(0.40, 40), mallory, "iam.amazonaws.com", "CreateLoginProfile", request={"userName": "backdoor"})
        self.add(self._at(0.40, 60), mallory, "iam.amazonaws.com", "AttachUserPolicy",
                 request={"userName": "backdoor", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
        self.add(self._at(0.40, 80), mallory, "iam.amazonaws.com", "PutRolePolicy",
                 request={"roleName": "Deploy", "policyName": "extra"})
        self.add(self._at(0.45), mallory, "cloudtrail.amazonaws.com", "StopLogging", request={"name": "management-events"})
        self.add(self._at(0.45, 30), mallory, "cloudtrail.amazonaws.com", "PutEventSelectors",
                 request={"trailName": "management-events", "eventSelectors": [{"readWriteType": "ReadOnly"}]})
        self.add(self._at(0.45, 60), mallory, "cloudtrail.amazonaws.com", "DeleteTrail", request={"name": "management-events"})
        self.add(self._at(0.50), mallory, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
                 request={"groupId": "sg-0123456789abcdef0", "ipPermissions": {"items": [
                     {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                      "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}})
        self.add(self._at(0.50, 30), mallory, "ec2.amazonaws.com", "RevokeSecurityGroupIngress",
                 request={"groupId": "sg-0123456789abcdef0", "ipPermissions": {"items": [
                     {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                      "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}})
        self.add(self._at(0.51), mallory, "ec2.amazonaws.com", "CreateInternetGateway")
        self.add(self._at(0.51, 20), mallory, "ec2.amazonaws.com", "AttachInternetGateway",
                 request={"internetGatewayId": "igw-0abc", "vpcId": "vpc-0abc"})
        self.add(self._at(0.51, 40), mallory, "ec2.amazonaws.com", "CreateRoute",
                 request={"routeTableId": "rtb-0abc", "destinationCidrBlock": "0.0.0.0/0"})
        self.add(self._at(0.52), mallory, "s3.amazonaws.com", "PutBucketPolicy", request={"bucketName": "finance-data"})
        self.add(self._at(0.52, 20), mallory, "s3.amazonaws.com", "PutBucketPublicAccessBlock",
                 request={"bucketName": "finance-data", "PublicAccessBlockConfiguration": {
                     "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                     "RestrictPublicBuckets": False}})
        for i in range(12):
            self.add(self._at(0.55, 20 * i), mallory, "secretsmanager.amazonaws.com", "GetSecretValue",
                     request={"secretId": f"prod/db-{i}"}, read_only=True)
        self.add(self._at(0.57), mallory, "ec2.amazonaws.com", "ModifySnapshotAttribute",
                 request={"snapshotId": "snap-0abc", "attributeType": "CREATE_VOLUME_PERMISSION",
                          "createVolumePermission": {"add": {"items": [{"userId": "444455556666"}]}}})
        self.add(self._at(0.57, 30), mallory, "ec2.amazonaws.com", "ModifyImageAttribute",
                 request={"imageId": "ami-0abc", "launchPermission": {"add": {"items": [{"group": "all"}]}}})
        self.add(self._at(0.58), mallory, "kms.amazonaws.com", "ScheduleKeyDeletion",
                 request={"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7})
        self.add(self._at(0.59), mallory, "guardduty.amazonaws.com", "DeleteDetector", request={"detectorId": "12abc"})
        self.add(self._at(0.59, 20), mallory, "config.amazonaws.com", "StopConfigurationRecorder",
                 request={"configurationRecorderName": "default"})
        self.add(self._at(0.59, 40), mallory, "ec2.amazonaws.com", "DeleteFlowLogs", request={"flowLogIds": ["fl-0abc"]})
        self.add(self._at(0.60), mallory, "organizations.amazonaws.com", "LeaveOrganization",
                 error=("AccessDeniedException", "You don't have permissions to access this resource."))
        self.add(self._at(0.61), mallory, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
                 request={"functionName": "billing"})
        self.add(self._at(0.62), mallory, "ssm.amazonaws.com", "SendCommand",
                 request={"instanceIds": ["i-0a1b2c3d4e5f60718"], "documentName": "AWS-RunShellScript"})
        for i in range(3):  # a region the account does not use
            self.add(self._at(0.63, 10 * i), mallory, "ec2.amazonaws.com", "RunInstances", region="ap-southeast-3",
                     request={"instanceType": "p4d.24xlarge"})
        for i in range(40):  # a burst far above any base rate: 40 calls in one minute
            self.add(self._at(0.65, i), mallory, "ec2.amazonaws.com", "CreateTags",
                     request={"resourcesSet": {"items": [{"resourceId": f"i-{i:017x}"}]}})
        mallory_calls = len(self.records) - before_mallory
        # a partner account assumes a role here; erin clicks in the console; an instance's role
        # credentials are used from outside; one very old TLS client
        partner = Principal.user("partner", "999988887777")
        for i in range(2):
            self.add(self._at(0.70, 30 * i), partner, "sts.amazonaws.com", "AssumeRole", ip="192.0.2.77",
                     request={"roleArn": f"arn:aws:iam::{acct}:role/PartnerAccess", "roleSessionName": "partner"})
        erin = Principal.user("erin", acct).user_identity()
        for i, (source, name, read_only) in enumerate((("ec2.amazonaws.com", "RunInstances", False),
                                                        ("s3.amazonaws.com", "CreateBucket", False),
                                                        ("ec2.amazonaws.com", "DescribeVpcs", True))):
            self.add(self._at(0.72, 30 * i), erin, source, name, ip="203.0.113.41", read_only=read_only,
                     agent="console.amazonaws.com", sessionCredentialFromConsole="true")
        instance = Principal.assumed_role("WebServer", "i-0a1b2c3d4e5f60718", acct, session_created=self.begin)
        for i in range(4):
            self.add(self._at(0.75, 10 * i), instance, "s3.amazonaws.com", "ListBuckets", ip="203.0.113.200",
                     read_only=True)
        self.add(self._at(0.78), Principal.user("ci-bot", acct), "s3.amazonaws.com", "ListBuckets", read_only=True,
                 ip="203.0.113.9", tls={"tlsVersion": "TLSv1", "cipherSuite": "ECDHE-RSA-AES128-SHA",
                                        "clientProvidedHostHeader": "s3.amazonaws.com"})
        mallory_key = mallory.default_access_key_id
        self.expected = {
            "root_usage": {"calls": 2, "events": {"ConsoleLogin", "DescribeInstances"}},
            "console_logins_without_mfa": {"actors": ["root", "dave"]},
            "failed_console_logins": {"failures": 17, "top": ("erin", self.BRUTE_IP, 12)},
            "password_spraying": {"spraying": (self.SPRAY_IP, 5), "brute_force": (self.BRUTE_IP, 12)},
            "cloudtrail_tampering": {"events": ["StopLogging", "PutEventSelectors", "DeleteTrail"]},
            "access_denied": {"mallory": 34, "total": 34},
            "access_denied_spikes": {"denied": 34},
            "iam_policy_changes": {"events": ["AttachUserPolicy", "PutRolePolicy"]},
            "new_users_and_keys": {"events": ["CreateUser", "CreateAccessKey", "CreateLoginProfile"],
                                   "key": "AKIAIOSFODNN7EXAMPLE"},
            "security_group_changes": {"rows": 2, "open": 1},
            "network_changes": {"gateway": 2, "route table": 1},
            "s3_bucket_policy_changes": {"rows": 2, "weakened": 1},
            "unused_regions": {"region": "ap-southeast-3", "calls": 3},
            "cross_account_access": {"account": "999988887777", "calls": 2},
            "console_write_activity": {"events": ["RunInstances", "CreateBucket"]},
            "secret_retrieval": {"actor": "mallory", "items": 12},
            "ec2_credential_access": {"password data": 8, "instance credentials": 4},
            "snapshot_sharing": {"rows": 2, "public": 1, "shared_with": "444455556666"},
            "kms_key_deletion": {"rows": 1},
            "security_tooling_disabled": {"tools": ["AWS Config", "GuardDuty", "VPC flow logs"]},
            "organization_changes": {"rows": 1},
            "lambda_changes": {"rows": 1},
            "remote_access": {"rows": 1},
            "role_assumptions": {"role": f"arn:aws:iam::{acct}:role/PartnerAccess", "calls": 2},
            "tls_versions": {"outdated": 1},
            "unusual_call_rate": {"event": "CreateTags", "calls": 40},
            "ip_activity": {"ip": self.MALLORY_IP, "calls": mallory_calls},
            "access_key_activity": {"access_key_id": mallory_key, "calls": mallory_calls},
            "principal_timeline": {"principal": "mallory", "calls": mallory_calls},
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a realistic CloudTrail trail in the S3 layout.")
    parser.add_argument("out", help="folder to write AWSLogs/ into")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--days", type=float, default=None)
    parser.add_argument("--compresslevel", type=int, default=6)
    parser.add_argument("--no-incidents", action="store_true")
    parser.add_argument("--build-templates", metavar="INVICTUS_DIR",
                        help="rebuild templates.json from the invictus-ir sample instead")
    args = parser.parse_args(argv)
    if args.build_templates:
        records = [r for path in sorted(Path(args.build_templates).rglob("*.json"))
                   for r in json.loads(path.read_text())["Records"]]
        document = {"_source": "invictus-ir/aws_dataset@4667aa9c26330bc3317ed8bd526f4b83cff13602 CloudTrail/*.json",
                    "_license": "MIT License, Copyright (c) 2023 Invictus Incident Response; see "
                                "datasets/invictus-ir_aws_dataset/LICENSE",
                    "templates": build_templates(records)}
        Path(args.out).write_text(json.dumps(document, indent=0, sort_keys=True) + "\n")
        print(f"{len(document['templates'])} templates written to {args.out}")
        return
    trail = generate_trail(args.out, args.records, seed=args.seed, days=args.days,
                           compresslevel=args.compresslevel, incidents=not args.no_incidents)
    print(f"{trail.records:,} records in {trail.files:,} files under {trail.root}")


if __name__ == "__main__":
    main()
