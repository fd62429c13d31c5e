"""Invoking a rule's target through the lab, as ``events.amazonaws.com``, and what counts as a failure.

Targets the lab delivers to (user guide, "Amazon EventBridge targets"):

* an SNS topic: ``Publish`` with the input as ``Message``;
* an SQS queue: ``SendMessage`` with the input as ``MessageBody``;
* a CloudWatch Logs group: one log event per delivery in a stream named after the event id, the
  event's ``time`` as timestamp (an ``InputTransformer`` may give ``{"timestamp": ..., "message": ...}``);
* another event bus: ``PutEvents`` onto it (the event arrives there as a new event with its own id);
* a Lambda function: a Python callable registered with ``lab.events_target(name, fn)`` is called
  directly with the input (a stand-in for a synchronous invocation, so an exception is a failed
  delivery); otherwise the lab's Lambda service is invoked asynchronously (``InvocationType=Event``)
  as AWS does, so a function's own errors are Lambda's business, not EventBridge's.

Failures (user guide, "Event retry policy and using dead-letter queues"): a missing target
(``NO_RESOURCE``) or missing permission (``NO_PERMISSIONS``) is not retried; throttling and server
errors are. AWS does not list every ``ERROR_CODE`` it writes: the lab uses ``SDK_CLIENT_ERROR`` for
other client errors and for an exception raised by a registered callable (a documented choice).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from botocore.exceptions import ClientError

from .store import arn_parts, parse_time

if TYPE_CHECKING:
    from ..lab import Lab

EVENTS_PRINCIPAL = "events.amazonaws.com"

_NO_RESOURCE = frozenset({"NotFound", "ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue",
                          "QueueDoesNotExist", "NoSuchEntity"})
_NO_PERMISSIONS = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError",
                             "AuthorizationErrorException", "KMSAccessDeniedException"})
_THROTTLING = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "ThrottledException",
                         "RequestLimitExceeded"})


@dataclass
class TargetFailure(Exception):
    """A delivery that did not succeed: AWS's ``ERROR_CODE``, a message, and whether to retry."""

    code: str
    message: str
    retriable: bool

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def classify(error: ClientError) -> TargetFailure:
    """The DLQ error code for a failed call to a target, and whether EventBridge retries it."""
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
    if code in _NO_RESOURCE:
        return TargetFailure("NO_RESOURCE", message, False)
    if code in _NO_PERMISSIONS:
        return TargetFailure("NO_PERMISSIONS", message, False)
    if code in _THROTTLING:
        return TargetFailure("THROTTLING", message, True)
    return TargetFailure("SDK_CLIENT_ERROR", f"{code}: {message}", status >= 500)


def queue_url(arn: str) -> str:
    _, region, account, name = arn_parts(arn)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def parsed_input(text: str) -> Any:
    """What a function receives: the JSON input parsed, or the text itself when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class StandInContext:
    """The context a registered callable may take as a second argument (a Lambda-like context)."""

    def __init__(self, name: str, arn: str, request_id: str) -> None:
        self.function_name, self.invoked_function_arn, self.aws_request_id = name, arn, request_id

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def call_stand_in(fn: Callable[..., Any], arn: str, text: str, event_id: str) -> None:
    """Run a registered callable; any exception it raises is a retriable failed invocation."""
    try:
        takes_context = len(inspect.signature(fn).parameters) >= 2
    except (TypeError, ValueError):
        takes_context = False
    try:
        if takes_context:
            fn(parsed_input(text), StandInContext(arn.rsplit(":", 1)[-1], arn, event_id))
        else:
            fn(parsed_input(text))
    except Exception as exc:  # noqa: BLE001 - a target's error is data: it is retried, then dead-lettered
        raise TargetFailure("SDK_CLIENT_ERROR", f"{type(exc).__name__}: {exc}", True) from exc


def log_event(text: str, event: dict[str, Any], transformed: bool) -> dict[str, Any]:
    """The log event a CloudWatch Logs target writes: ``{"timestamp": ms, "message": text}``."""
    timestamp = parse_time(event["time"]) if isinstance(event.get("time"), str) else None
    message = text
    if transformed:
        shaped = parsed_input(text)
        if isinstance(shaped, dict) and set(shaped) == {"timestamp", "message"}:
            message = shaped["message"] if isinstance(shaped["message"], str) else json.dumps(shaped["message"])
            stamp = shaped["timestamp"]
            if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
                return {"timestamp": int(stamp), "message": message}
            try:
                timestamp = parse_time(str(stamp))
            except ValueError:
                pass
    millis = int(timestamp.timestamp() * 1000) if timestamp else 0
    return {"timestamp": millis, "message": message}


def invoke(lab: "Lab", arn: str, text: str, event: dict[str, Any], *, stand_ins: dict[str, Callable[..., Any]],
           bus_exists: Callable[[str, str, str], bool], send_logs: Callable[[str, dict[str, Any], str], None]) -> None:
    """Deliver ``text`` (the rendered input) to the target ``arn``; raise ``TargetFailure`` on failure."""
    try:
        service, region, account, resource = arn_parts(arn)
    except ValueError:
        raise TargetFailure("NO_RESOURCE", f"Provided Arn is not in correct format: {arn}", False) from None
    if region and region not in lab.regions:
        raise TargetFailure("NO_RESOURCE", f"awslab does not simulate the region {region}", False)
    try:
        if service == "sns":
            lab.service_client("sns", EVENTS_PRINCIPAL, region).publish(TopicArn=arn, Message=text)
        elif service == "sqs":
            lab.service_client("sqs", EVENTS_PRINCIPAL, region).send_message(QueueUrl=queue_url(arn), MessageBody=text)
        elif service == "logs" and resource.startswith("log-group:"):
            send_logs(arn, event, text)
        elif service == "events" and resource.startswith("event-bus/"):
            name = resource.split("/", 1)[1]
            if not bus_exists(region, account, name):
                raise TargetFailure("NO_RESOURCE", f"Event bus {name} does not exist.", False)
            forward = {"Source": event["source"], "DetailType": event["detail-type"],
                       "Detail": json.dumps(event.get("detail", {})), "Resources": list(event.get("resources") or []),
                       "EventBusName": arn}
            if isinstance(event.get("time"), str):
                forward["Time"] = parse_time(event["time"])
            answer = lab.service_client("events", EVENTS_PRINCIPAL, region).put_events(Entries=[forward])
            if answer.get("FailedEntryCount"):
                failed = answer["Entries"][0]
                raise TargetFailure("SDK_CLIENT_ERROR", f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}",
                                    False)
        elif service == "lambda":
            function = ":".join(arn.split(":")[:7])
            if function in stand_ins:
                call_stand_in(stand_ins[function], function, text, event.get("id", ""))
            elif lab.service_for("lambda") is not None:
                lab.service_client("lambda", EVENTS_PRINCIPAL, region).invoke(
                    FunctionName=function, InvocationType="Event", Payload=text.encode())
            else:
                raise TargetFailure("NO_RESOURCE", f"Function not found: {function}", False)
        else:
            raise TargetFailure("NO_RESOURCE", f"awslab does not simulate {service} targets ({arn})", False)
    except ClientError as error:
        raise classify(error) from error
