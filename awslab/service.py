"""What a simulated service is to the lab: tables, operation handlers, hub subscriptions, jobs.

A service subclasses :class:`Service`, names the boto3 services it answers, and defines one
method per AWS operation, named like the boto3 method (``put_metric_data``). Each handler
takes the :class:`~awslab.gateway.Call` and the caller's validated parameters and returns
the response dict exactly as botocore would have parsed it (datetimes as aware datetimes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from botocore import xform_name

if TYPE_CHECKING:
    from .gateway import Call
    from .lab import Lab

Handler = Callable[["Call", dict[str, Any]], dict[str, Any]]


class Service:
    #: the boto3 service names this class answers (``"cloudwatch"``, ``"ec2"``, …)
    answers: tuple[str, ...] = ()
    #: operations CloudTrail records as data events rather than management events
    data_events: frozenset[str] = frozenset()
    #: operations CloudTrail does not record at all
    not_logged: frozenset[str] = frozenset()
    #: global services (IAM) keep one state and log to this region whatever the client's region
    global_region: str | None = None

    def __init__(self, lab: "Lab") -> None:
        self.lab = lab

    def setup(self) -> None:
        """Create tables (``CREATE TABLE IF NOT EXISTS``), subscribe to the hub, register jobs."""

    def tables(self) -> dict[str, str]:
        """The tables this service owns, each with a one-line description (``lab.tables()``)."""
        return {}

    def handler(self, boto3_service: str, operation: str) -> Handler | None:
        """The handler for an operation of one of ``answers``, or None if not simulated."""
        method = getattr(self, xform_name(operation), None)
        return method if callable(method) else None

    def amend_record(self, call: "Call", record: dict[str, Any], response: dict[str, Any] | None,
                     error: Any) -> None:
        """Adjust the CloudTrail record of a call where this service's records differ from the
        generic shape (S3's ``bucketName``/``Host``, IAM's date format, secrets left out)."""

    def event_category(self, operation: str) -> str | None:
        """CloudTrail's eventCategory for a call: ``Management``, ``Data``, or None (not logged)."""
        if operation in self.not_logged:
            return None
        return "Data" if operation in self.data_events else "Management"
