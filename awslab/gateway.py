"""The boto3 wiring: real clients whose calls the lab answers in-process.

botocore does the work it already does (parameter validation, paginators, waiters,
``ClientError``); the lab hooks in at two of botocore's events (DESIGN.md, principle 2):

* ``before-parameter-build``: keep a reference to the caller's parameters;
* ``before-call``: run the operation handler in one transaction and return
  ``(http_response, parsed_response)``, which tells botocore not to send anything.

Every answered call, successful or not, is published on the hub as an ``api_call`` fact
carrying its CloudTrail record; the lab's CloudTrail stores it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse

from .errors import AWSError
from .identity import Principal
from .records import EVENT_VERSION
from .shapes import normalise_input

if TYPE_CHECKING:
    from .lab import Lab

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Head", "BatchGet", "Select", "Test",
                      "Filter", "Search", "Estimate", "Check")
"""CloudTrail marks these calls ``readOnly: true``; everything else is a write.
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html"""

LAB_SOURCE_IP = "198.51.100.7"
"""The learner's address in CloudTrail records (TEST-NET-2, documentation range)."""


@dataclass
class Call:
    """One API call being answered: who, where, when, and the ids CloudTrail will use."""

    lab: "Lab"
    service: str
    operation: str
    region: str
    principal: Principal
    event_id: str
    request_id: str
    time: datetime
    event_source: str
    params: dict[str, Any] = field(default_factory=dict)
    #: the resources CloudTrail lists for this call ({"ARN", "accountId", "type"}); handlers add them
    resources: list[dict[str, str]] = field(default_factory=list)
    #: what CloudTrail writes as requestParameters, when it differs from the boto3 parameters
    #: (S3 writes ``bucketName``, ``key`` and ``Host``); None means "the parameters, camelCased"
    trail_request_parameters: dict[str, Any] | None = None

    @property
    def db(self):
        return self.lab.db

    @property
    def account_id(self) -> str:
        return self.lab.account_id

    def publish(self, topic: str, fact: dict[str, Any]) -> None:
        """Publish a fact caused by this call; held until the call commits. Adds the call's ids."""
        fact.setdefault("region", self.region)
        fact.setdefault("account_id", self.account_id)
        fact.setdefault("time", self.time)
        fact.setdefault("event_id", self.event_id)
        fact.setdefault("principal", self.principal)
        self.lab.hub.publish(topic, fact)


def wire_client(lab: "Lab", client: Any, principal: Principal | None = None) -> Any:
    """Make ``client`` answered by ``lab``; ``principal`` pins who it calls as (else its keys decide)."""
    events = client.meta.events
    events.register_first("before-parameter-build", _keep_parameters)
    events.register_first("before-call", lambda **kw: _answer(lab, client, principal, **kw))
    client.get_waiter = _lab_waiters(lab, client.get_waiter)
    return client


class _LabTime:
    """What botocore's waiters see as ``time``: sleeping advances the lab clock instead."""

    def __init__(self, lab: "Lab") -> None:
        self.lab = lab

    def sleep(self, seconds: float) -> None:
        self.lab.advance(seconds=seconds)


def _lab_waiters(lab: "Lab", get_waiter: Any) -> Any:
    """boto3 waiters (``instance_running``…) poll on the lab's clock, not the wall clock."""
    import botocore.waiter

    def lab_get_waiter(name: str) -> Any:
        waiter = get_waiter(name)
        wait = waiter.wait

        def wait_on_lab_clock(**kwargs: Any) -> None:
            real_time = botocore.waiter.time
            botocore.waiter.time = _LabTime(lab)
            try:
                return wait(**kwargs)
            finally:
                botocore.waiter.time = real_time

        waiter.wait = wait_on_lab_clock
        return waiter

    return lab_get_waiter


def _keep_parameters(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["awslab_params"] = params


def _answer(lab: "Lab", client: Any, pinned: Principal | None, model: Any, params: dict[str, Any],
            context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    operation = model.name
    boto3_service = model.service_model.service_name
    caller_params = normalise_input(model.input_shape, context.get("awslab_params") or {})
    try:
        principal = lab.current_principal(pinned, _access_key_of(client))
    except AWSError as error:  # unknown, inactive or expired credentials: refused before any work
        request_id = lab.next_ids()[1]
        return http_response(error.status), error_response(error, request_id)
    user_agent = (params.get("headers") or {}).get("User-Agent", "")
    if isinstance(user_agent, bytes):
        user_agent = user_agent.decode()
    host = (params.get("url") or "").split("/")[2] if "://" in (params.get("url") or "") else ""
    return lab.answer(boto3_service, operation, caller_params, client.meta.region_name, principal,
                      endpoint_prefix=model.service_model.endpoint_prefix, user_agent=user_agent,
                      host=host, output_shape=model.output_shape)


def _access_key_of(client: Any) -> str | None:
    credentials = getattr(client._request_signer, "_credentials", None)
    return None if credentials is None else credentials.get_frozen_credentials().access_key


def http_response(status: int) -> AWSResponse:
    return AWSResponse(url="https://awslab.invalid/", status_code=status, headers={}, raw=None)


def response_metadata(request_id: str, status: int) -> dict[str, Any]:
    return {"RequestId": request_id, "HTTPStatusCode": status,
            "HTTPHeaders": {"x-amzn-requestid": request_id}, "RetryAttempts": 0}


def error_response(error: AWSError, request_id: str) -> dict[str, Any]:
    return {
        "Error": {"Code": error.code, "Message": error.message,
                  "Type": "Sender" if error.sender_fault else "Receiver"},
        "ResponseMetadata": response_metadata(request_id, error.status),
    }


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_ONLY_PREFIXES)


def cloudtrail_record(call: Call, *, category: str, user_agent: str, host: str,
                      response: dict[str, Any] | None, error: AWSError | None) -> dict[str, Any]:
    """The CloudTrail record of an answered call, in the shape CloudTrail writes.

    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    """
    read_only = is_read_only(call.operation)
    service_caller = call.principal.kind == "AWSService"
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": call.principal.user_identity(),
        "eventTime": call.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": call.event_source,
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": call.principal.name if service_caller else LAB_SOURCE_IP,
        "userAgent": call.principal.name if service_caller else user_agent,
    }
    if error is not None:
        code = error.code
        if call.event_source == "ec2.amazonaws.com" and error.sender_fault and not code.startswith("Client."):
            code = "Client." + code  # EC2 prefixes sender faults in CloudTrail
        record["errorCode"] = code
        record["errorMessage"] = error.message
    record["requestParameters"] = (call.trail_request_parameters if call.trail_request_parameters is not None
                                   else camel_keys(call.params) or None)
    record["responseElements"] = None
    if error is None and not read_only and response:
        body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        record["responseElements"] = camel_keys(body) or None
    record["requestID"] = call.request_id
    record["eventID"] = call.event_id
    record["readOnly"] = read_only
    if call.resources:
        record["resources"] = call.resources
    record.update({
        "eventType": "AwsApiCall",
        "managementEvent": category == "Management",
        "recipientAccountId": call.account_id,
        "eventCategory": category,
    })
    if not service_caller:
        record["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                "clientProvidedHostHeader": host}
    return record


def camel_keys(value: Any) -> Any:
    """Request/response data as CloudTrail writes it: keys in lowerCamelCase, dates as ISO text."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]) if isinstance(k, str) else k: camel_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [camel_keys(v) for v in value]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return None  # CloudTrail never logs payload bytes
    if hasattr(value, "read"):
        return None
    return value


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))
