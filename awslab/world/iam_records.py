"""How IAM and STS calls look in CloudTrail, where that differs from the generic record.

Observed in real records (shared datasets: invictus-ir/aws_dataset, Stratus Red Team
detonation logs) and described in "Logging IAM and AWS STS API calls with AWS CloudTrail":
https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html

* IAM error codes carry an ``Exception`` suffix (``NoSuchEntityException``), except
  ``AccessDenied``;
* dates inside ``responseElements`` are written the Java way: ``Jul 10, 2023 12:23:05 PM``
  (IAM) and ``Jul 10, 2023, 12:31:14 PM`` (STS credential expiration);
* secrets are never logged: no ``secretAccessKey`` in responses, no ``password`` in requests;
* ``AssumeRole`` is a read-only call with the role in ``resources``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import AWSError
from ..gateway import Call, camel_keys

SECRET_KEYS = {"secretAccessKey", "password", "newPassword", "oldPassword", "SecretAccessKey"}


def java_time(instant: datetime, *, comma: bool = False) -> str:
    """``Jul 10, 2023 12:23:05 PM`` (``comma`` puts one after the year, as STS does)."""
    day = f"{instant.strftime('%b')} {instant.day}, {instant.year}"
    clock = instant.strftime("%I:%M:%S %p").lstrip("0")
    return f"{day}{',' if comma else ''} {clock}"


def _dates_as_java(value: Any, *, comma: bool) -> Any:
    if isinstance(value, dict):
        return {k: _dates_as_java(v, comma=comma) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_java(v, comma=comma) for v in value]
    if isinstance(value, datetime):
        return java_time(value, comma=comma)
    return value


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _response_elements(response: dict[str, Any] | None, *, comma: bool = False) -> Any:
    if not response:
        return None
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return _without_secrets(camel_keys(_dates_as_java(body, comma=comma))) or None


def cloudtrail_error_code(service: str, error: AWSError) -> str:
    if service == "iam" and error.code != "AccessDenied" and not error.code.endswith("Exception"):
        return error.code.removesuffix("Error") + "Exception"
    return error.code


def amend_iam_record(call: Call, record: dict[str, Any], response: dict[str, Any] | None, error: AWSError | None) -> None:
    """Adjust the generic record of an IAM call to what IAM writes."""
    if error is not None:
        record["errorCode"] = cloudtrail_error_code("iam", error)
    if record.get("requestParameters"):
        record["requestParameters"] = _without_secrets(record["requestParameters"])
    if error is None and not record.get("readOnly"):
        record["responseElements"] = _response_elements(response)


def amend_sts_record(call: Call, record: dict[str, Any], response: dict[str, Any] | None, error: AWSError | None) -> None:
    """Adjust the generic record of an STS call to what STS writes."""
    if call.operation == "AssumeRole":
        record["readOnly"] = True
        role_arn = call.params.get("RoleArn", "")
        record["resources"] = [{"accountId": call.account_id, "type": "AWS::IAM::Role", "ARN": role_arn}]
    issued = error is None and call.operation in ("AssumeRole", "GetSessionToken")
    record["responseElements"] = _response_elements(response, comma=True) if issued else None
