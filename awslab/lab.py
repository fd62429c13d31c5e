"""The Lab: one DuckDB database, one clock, one hub, the simulated services, real boto3 clients.

    >>> from awslab import Lab
    >>> lab = Lab(start="2026-01-01T00:00:00Z")
    >>> cw = lab.client("cloudwatch")
    >>> _ = cw.put_metric_data(Namespace="Demo", MetricData=[{"MetricName": "Hits", "Value": 1}])
    >>> lab.advance(minutes=5)
    >>> lab.now.isoformat()
    '2026-01-01T00:05:00+00:00'
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import uuid
from datetime import datetime, timedelta
from typing import Any, Iterator

import boto3
import botocore.loaders
import botocore.session
import duckdb
from botocore.config import Config

from . import gateway
from .clock import Clock, as_duration, parse_instant
from .errors import AWSError, ClockError
from .hub import Hub
from .identity import DEFAULT_USER, Principal
from .registry import SERVICES
from .scheduler import Scheduler
from .service import Service
from .shapes import check_shape

DEFAULT_START = "2026-01-01T00:00:00Z"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_OTHER_REGIONS = ("us-west-2", "eu-west-1")
LAB_SECRET = "awslab-secret-access-key"

_CORE_TABLES = {
    "lab_state": "the lab's own settings and clock: one row per key (now, start, region, account_id, regions, generation, user)",
}


_LOADER = None


def _shared_loader():
    """One botocore model loader for every lab in the process: parsing a service model (EC2's is
    large) once instead of once per lab."""
    global _LOADER
    if _LOADER is None:
        _LOADER = botocore.loaders.create_loader()
    return _LOADER


class Lab:
    """A self-contained AWS lab: state in DuckDB, time on a clock you move, calls through boto3.

    ``path`` persists the lab to a DuckDB file; a Lab reopened on it resumes with its clock and
    state (the other arguments are then taken from the file). ``regions`` lists the regions the
    lab simulates besides ``region``. ``strict`` checks every response against botocore's output
    shape (on in the test suite, through the ``AWSLAB_STRICT`` environment variable).
    """

    def __init__(self, start: str | datetime = DEFAULT_START, region: str = DEFAULT_REGION,
                 account_id: str = DEFAULT_ACCOUNT, *, path: str | os.PathLike | None = None,
                 regions: tuple[str, ...] | list[str] | None = None, user: str = DEFAULT_USER,
                 strict: bool | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.db = duckdb.connect(self.path or ":memory:")
        self.db.execute("SET TimeZone = 'UTC'")
        self.strict = os.environ.get("AWSLAB_STRICT") == "1" if strict is None else strict
        self.db.execute("CREATE TABLE IF NOT EXISTS lab_state (key VARCHAR PRIMARY KEY, value VARCHAR)")
        saved = dict(self.db.execute("SELECT key, value FROM lab_state").fetchall())
        if not saved:
            start_at = parse_instant(start)
            region_list = [region] + [r for r in (regions or DEFAULT_OTHER_REGIONS) if r != region]
            saved = {"start": start_at.isoformat(), "now": start_at.isoformat(), "region": region,
                     "account_id": account_id, "regions": json.dumps(region_list), "generation": "0",
                     "user": user}
            self.db.executemany("INSERT INTO lab_state VALUES (?, ?)", list(saved.items()))
        self.region: str = saved["region"]
        self.account_id: str = saved["account_id"]
        self.regions: tuple[str, ...] = tuple(json.loads(saved["regions"]))
        self.start = parse_instant(saved["start"])
        self.default_principal = Principal.user(saved["user"], self.account_id)
        # Ids are derived from (generation, sequence): each opening of a lab file is a new
        # generation, so a reopened lab never repeats an id and no call pays to persist a counter.
        self._generation = int(saved["generation"]) + 1
        self.db.execute("UPDATE lab_state SET value = ? WHERE key = 'generation'", [str(self._generation)])
        self._sequence = 0
        self.clock = Clock(parse_instant(saved["now"]), on_change=self._save_now)
        self.hub = Hub()
        self.scheduler = Scheduler()
        self._depth = 0
        self._principals: list[Principal] = []
        self._key_resolvers: list = []
        self._flushers: list = []
        self._service_clients: dict[tuple, Any] = {}
        self._botocore = botocore.session.get_session()
        self._botocore.register_component("data_loader", _shared_loader())
        self._boto3 = boto3.session.Session(botocore_session=self._botocore)
        self.services: list[Service] = []
        self._by_boto3_name: dict[str, Service] = {}
        for spec in SERVICES:
            module_name, _, class_name = spec.partition(":")
            service = getattr(importlib.import_module(module_name), class_name)(self)
            self.services.append(service)
            for name in service.answers:
                self._by_boto3_name[name] = service
        with self.transaction():
            for service in self.services:
                service.setup()

    # ------------------------------------------------------------------ time
    @property
    def now(self) -> datetime:
        """The lab's time: a timezone-aware UTC datetime."""
        return self.clock.now

    def advance(self, delta: timedelta | None = None, *, seconds: float = 0, minutes: float = 0,
                hours: float = 0, days: float = 0) -> None:
        """Move the clock forward, running in time order every job that falls due on the way."""
        step = as_duration(delta, seconds=seconds, minutes=minutes, hours=hours, days=days)
        if step < timedelta(0):
            raise ClockError(f"the lab clock only moves forward; cannot advance by {step}")
        self.run_until(self.now + step)

    def run_until(self, instant: str | datetime) -> None:
        """Move the clock forward to ``instant`` (see :meth:`advance`)."""
        target = parse_instant(instant)
        if target < self.now:
            raise ClockError(f"the lab clock only moves forward: it is {self.now.isoformat()}, "
                             f"cannot go back to {target.isoformat()}")
        while (due := self.scheduler.due(self.now, target)) is not None:
            instant_due, jobs = due
            self.clock.set(instant_due)
            self._catch_up(instant_due)
            for job in jobs:
                with self.transaction():
                    job.run(instant_due)
        self.clock.set(target)
        self._catch_up(target)
        self.flush()

    def _catch_up(self, instant: datetime) -> None:
        for job in self.scheduler.catch_up:
            with self.transaction():
                job.run(instant)

    def _save_now(self, instant: datetime) -> None:
        self.db.execute("UPDATE lab_state SET value = ? WHERE key = 'now'", [instant.isoformat()])

    # ------------------------------------------------------------------ data
    def sql(self, query: str, params: list | dict | None = None) -> duckdb.DuckDBPyRelation:
        """Run SQL on the lab's database; returns a DuckDB relation (``.df()``, ``.fetchall()``)."""
        self.flush()
        return self.db.sql(query, params=params)

    def add_flusher(self, flusher) -> None:
        """Register work a service batches (e.g. normalising staged CloudTrail records) to be
        finished before anyone reads the tables."""
        self._flushers.append(flusher)

    def flush(self) -> None:
        """Finish every batched write, so that tables read directly (``lab.db``) are current.
        ``lab.sql``, ``lab.advance`` and ``lab.close`` do this for you."""
        with self.transaction():
            for flusher in self._flushers:
                flusher()

    def tables(self) -> dict[str, str]:
        """Every table of the lab, with a one-line description."""
        described = dict(_CORE_TABLES)
        for service in self.services:
            described.update(service.tables())
        return dict(sorted(described.items()))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested uses join the outermost one."""
        outer = self._depth == 0
        if outer:
            self.db.begin()
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if outer:
                self.db.rollback()
            raise
        self._depth -= 1
        if outer:
            self.db.commit()

    def close(self) -> None:
        self.flush()
        self.db.close()

    # ------------------------------------------------------------------ identity
    @contextlib.contextmanager
    def as_principal(self, principal: str | Principal) -> Iterator[Principal]:
        """Make calls inside the block as ``principal`` ("root", "alice", "role/Admin", an ARN, …)."""
        resolved = Principal.parse(principal, self.account_id)
        iam = self.service_for("iam")
        if iam is not None:
            resolved = iam.principal_for(resolved)  # users and roles must exist, as on AWS
        self._principals.append(resolved)
        try:
            yield resolved
        finally:
            self._principals.pop()

    def add_key_resolver(self, resolver) -> None:
        """Let a service (IAM, STS) say which principal owns an access key id it issued."""
        self._key_resolvers.append(resolver)

    def current_principal(self, pinned: Principal | None = None, access_key: str | None = None) -> Principal:
        if pinned is not None:
            return pinned
        if access_key:
            for resolver in self._key_resolvers:
                found = resolver(access_key)
                if found is not None:
                    return found
        if self._principals:
            return self._principals[-1]
        return self.default_principal

    # ------------------------------------------------------------------ clients
    def client(self, service_name: str, region_name: str | None = None, *,
               principal: str | Principal | None = None, **kwargs: Any) -> Any:
        """A genuine boto3 client answered by this lab; it never touches the network.

        ``principal`` pins who every call of this client is made as (services acting on other
        services use it); otherwise the client's access key and ``as_principal`` decide.
        """
        pinned = None if principal is None else Principal.parse(principal, self.account_id)
        kwargs.setdefault("aws_access_key_id", (pinned or self.default_principal).default_access_key_id)
        kwargs.setdefault("aws_secret_access_key", LAB_SECRET)
        kwargs.setdefault("config", Config(retries={"max_attempts": 1, "mode": "standard"}))
        client = self._boto3.client(service_name, region_name=region_name or self.region, **kwargs)
        return gateway.wire_client(self, client, pinned)

    def service_client(self, service_name: str, service_principal: str, region_name: str | None = None) -> Any:
        """A cached client calling as an AWS service (``monitoring.amazonaws.com``), for actions
        one service takes on another (DESIGN.md, principle 5)."""
        key = (service_name, service_principal, region_name or self.region)
        if key not in self._service_clients:
            self._service_clients[key] = self.client(
                service_name, region_name, principal=Principal.service(service_principal, self.account_id))
        return self._service_clients[key]

    @contextlib.contextmanager
    def mock(self) -> Iterator["Lab"]:
        """Inside the block, every boto3/botocore client created talks to this lab."""
        original = botocore.session.Session.create_client
        lab = self

        def create_client(session, service_name, *args, **kwargs):
            if not args and kwargs.get("region_name") is None and session.get_config_variable("region") is None:
                kwargs["region_name"] = lab.region
            if kwargs.get("aws_access_key_id") is None:
                kwargs["aws_access_key_id"] = lab.default_principal.default_access_key_id
                kwargs["aws_secret_access_key"] = LAB_SECRET
                kwargs["aws_session_token"] = None
            client = original(session, service_name, *args, **kwargs)
            return gateway.wire_client(lab, client)

        botocore.session.Session.create_client = create_client
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original

    # ------------------------------------------------------------------ the world, for learners
    def console_login(self, user: str, success: bool = True, mfa: bool = True, region: str | None = None) -> dict:
        """Sign in to the console as ``user`` ("root" or an IAM user): writes AWS's ConsoleLogin record."""
        return self.service_for("iam").console_login(user, success=success, mfa=mfa, region=region)

    def set_workload(self, instance_id: str, profile: str = "steady", **settings: Any) -> None:
        """Give a lab instance a workload (steady, spiky, daily, incident_at=...) that drives its AWS/EC2 metrics."""
        self.service_for("ec2").set_workload(instance_id, profile, **settings)

    def install_cloudwatch_agent(self, host: str, config: Any, **options: Any) -> dict:
        """Run the CloudWatch agent on a lab instance (``i-…``) or an on-premises server with ``config``
        (the agent's JSON configuration); returns what it ships and publishes."""
        return self.service_for("logs").install_cloudwatch_agent(host, config, **options)

    def append_host_log(self, host: str, file_path: str, lines: Any, **options: Any) -> int:
        """Append lines to a log file on a host; an agent shipping that file sends them to CloudWatch Logs."""
        return self.service_for("logs").append_host_log(host, file_path, lines, **options)

    def events_target(self, name: str, fn, region: str | None = None) -> str:
        """A Python callable as an EventBridge target; returns the Lambda-style ARN to use in PutTargets."""
        return self.service_for("events").events_target(name, fn, region)

    def bus_events(self, bus: str = "default", region: str | None = None):
        """The events a bus received, newest last (what EventBridge saw)."""
        return self.service_for("events").bus_events(bus, region)

    def put_datapoints(self, frame: Any, **options: Any) -> int:
        """Bulk-load a DataFrame or Arrow table of datapoints into CloudWatch (validated as
        PutMetricData validates, all or nothing); returns the number of rows stored."""
        return self.service_for("cloudwatch").put_datapoints(frame, **options)

    def enable_inventory(self, instance_id: str, applications: list[dict] | None = None, **options: Any) -> None:
        """Turn on Systems Manager inventory for a lab instance (recorded by Config as
        AWS::SSM::ManagedInstanceInventory)."""
        self.service_for("config").enable_inventory(instance_id, applications, **options)

    def replay_trail(self, events: Any, **options: Any):
        """Replay exported CloudTrail events (``awslab.trail.load(...)``) in time order on the lab clock
        into a trail's CloudWatch Logs group and the default EventBridge bus; see awslab.replay."""
        from .replay import replay_trail

        return replay_trail(self, events, **options)

    def inbox(self, address: str | None = None) -> list[dict[str, Any]]:
        """Emails SNS delivered (to ``address``, or to everyone), oldest first."""
        return self.service_for("sns").inbox(address)

    def create_function(self, name: str, handler, **settings: Any) -> str:
        """A Lambda function whose code is the Python callable ``handler(event, context)``; returns its ARN."""
        return self.service_for("lambda").define_function(name, handler, **settings)

    def bind_function(self, name_or_arn: str, handler, region: str | None = None) -> None:
        """Give an existing Lambda function (created with plain boto3) a Python callable to run."""
        self.service_for("lambda").bind_function(name_or_arn, handler, region)

    # ------------------------------------------------------------------ answering calls
    def service_for(self, boto3_service: str) -> Service | None:
        return self._by_boto3_name.get(boto3_service)

    def _run_handler(self, handler, call: gateway.Call, service: Service | None, params: dict[str, Any]):
        if call.region not in self.regions:
            raise AWSError("UnrecognizedClientException",
                           f"awslab simulates the regions {', '.join(self.regions)}; "
                           f"{call.region} is not one of them (use Lab(regions=[...]))", 403)
        if handler is None:
            raise AWSError("NotImplemented",
                           f"awslab does not simulate {call.service}.{call.operation} "
                           f"({service.__class__.__name__ if service else 'no such service in the lab'})",
                           501, sender_fault=False)
        return handler(call, params)

    def _publish_call(self, call: gateway.Call, category: str | None, user_agent: str, host: str,
                      response: dict[str, Any], error: AWSError | None) -> None:
        if category is not None:
            record = gateway.cloudtrail_record(call, category=category, user_agent=user_agent, host=host,
                                               response=response, error=error)
            service = self.service_for(call.service)
            if service is not None:
                service.amend_record(call, record, response, error)
            self.hub.publish("api_call", {"record": record, "call": call, "error": error, "response": response})

    def next_ids(self) -> tuple[str, str]:
        """A fresh (eventID, requestID) pair, for records a service writes outside a call (ConsoleLogin)."""
        return self._next_ids()

    def _next_ids(self) -> tuple[str, str]:
        self._sequence += 1
        digest = hashlib.sha256(f"{self.account_id}/{self._generation}/{self._sequence}".encode()).digest()
        event_id = str(uuid.UUID(bytes=digest[:16], version=4))
        request_id = str(uuid.UUID(bytes=digest[16:32], version=4))
        return event_id, request_id

    def answer(self, boto3_service: str, operation: str, params: dict[str, Any], client_region: str,
               principal: Principal, *, endpoint_prefix: str, user_agent: str = "", host: str = "",
               output_shape: Any = None) -> tuple[Any, dict[str, Any]]:
        """Answer one API call: run its handler in one transaction, then publish what it caused."""
        service = self.service_for(boto3_service)
        region = (service.global_region if service and service.global_region else client_region)
        event_id, request_id = self._next_ids()
        call = gateway.Call(self, boto3_service, operation, region, principal, event_id, request_id,
                            self.now, f"{endpoint_prefix}.amazonaws.com", params)
        handler = service.handler(boto3_service, operation) if service else None
        category = service.event_category(operation) if service else "Management"
        error: AWSError | None = None
        response: dict[str, Any] = {}
        previous = self.hub.hold()
        try:
            with self.transaction():
                try:
                    response = self._run_handler(handler, call, service, params) or {}
                finally:
                    held = self.hub.take_held(previous)
                self._publish_call(call, category, user_agent, host, response, None)
                self.hub.deliver(held)
        except AWSError as failure:
            error = failure
            with self.transaction():
                self._publish_call(call, category, user_agent, host, {}, error)
        if error is not None:
            return gateway.http_response(error.status), gateway.error_response(error, request_id)
        if self.strict and output_shape is not None:
            check_shape(output_shape, response)
        response = dict(response)
        response["ResponseMetadata"] = gateway.response_metadata(request_id, 200)
        return gateway.http_response(200), response
