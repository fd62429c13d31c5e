"""Which events a trail logs: basic and advanced event selectors, validated and matched.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html

A trail uses basic or advanced selectors, never both. An event is logged when it matches any
selector; within an advanced selector every field condition must hold; within a field, the
positive operators (Equals, StartsWith, EndsWith) need any value to match and the negative ones
(NotEquals, NotStartsWith, NotEndsWith) need every value to be avoided. A trail with no
selectors logs all management events, read and write, and no data events.
"""

from __future__ import annotations

from typing import Any

from ..errors import AWSError

DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                      "ExcludeManagementEventSources": []}]

MAX_SELECTORS = 5
MAX_DATA_RESOURCES = 250
MAX_ADVANCED_VALUES = 500
DATA_RESOURCE_TYPES = {"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}
ADVANCED_FIELDS = {"eventCategory", "readOnly", "eventSource", "eventName", "resources.type", "resources.ARN",
                   "errorCode", "eventType", "sessionCredentialFromConsole", "userIdentity.arn", "vpcEndpointId"}
EQUALS_ONLY = {"readOnly", "eventCategory", "resources.type"}
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
EXCLUDABLE_SOURCES = {"kms.amazonaws.com", "rdsdata.amazonaws.com"}


def _invalid(message: str) -> AWSError:
    return AWSError("InvalidEventSelectorsException", message)


def validate_basic(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check basic selectors and fill in AWS's defaults; returns them as GetEventSelectors shows them."""
    if not 1 <= len(selectors) <= MAX_SELECTORS:
        raise _invalid(f"You can specify up to {MAX_SELECTORS} event selectors for a trail.")
    total = 0
    filled = []
    for selector in selectors:
        resources = selector.get("DataResources") or []
        for resource in resources:
            kind = resource.get("Type")
            if kind not in DATA_RESOURCE_TYPES:
                raise _invalid(f"Value {kind} for parameter DataResources.Type is invalid.")
            values = resource.get("Values") or []
            for value in values:
                if kind == "AWS::S3::Object" and not value.startswith("arn:aws:s3:::") and value != "arn:aws:s3":
                    raise _invalid(f"Value {value} for parameter DataResources.Values is invalid.")
                if kind == "AWS::Lambda::Function" and not value.startswith("arn:aws:lambda") and value != "arn:aws:lambda":
                    raise _invalid(f"Value {value} for parameter DataResources.Values is invalid.")
            total += len(values)
        for source in selector.get("ExcludeManagementEventSources") or []:
            if source not in EXCLUDABLE_SOURCES:
                raise _invalid(f"Value {source} for parameter ExcludeManagementEventSources is invalid.")
        filled.append({"ReadWriteType": selector.get("ReadWriteType", "All"),
                       "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
                       "DataResources": resources,
                       "ExcludeManagementEventSources": selector.get("ExcludeManagementEventSources") or []})
    if total > MAX_DATA_RESOURCES:
        raise _invalid(f"The total number of data resources in all event selectors cannot exceed "
                       f"{MAX_DATA_RESOURCES}.")
    return filled


def validate_advanced(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check advanced selectors: known fields, the Equals-only fields, the required eventCategory."""
    if not selectors:
        raise _invalid("Advanced event selectors must not be empty.")
    values = 0
    for selector in selectors:
        fields = selector.get("FieldSelectors") or []
        names = [f.get("Field") for f in fields]
        if "eventCategory" not in names:
            raise _invalid("You must include the eventCategory field in each advanced event selector.")
        for field in fields:
            name = field.get("Field")
            if name not in ADVANCED_FIELDS:
                raise _invalid(f"Invalid field: {name}")
            used = [op for op in OPERATORS if field.get(op)]
            if not used:
                raise _invalid(f"Field {name} must have at least one operator.")
            if name in EQUALS_ONLY and used != ["Equals"]:
                raise _invalid(f"Only the Equals operator is supported for the {name} field.")
            values += sum(len(field[op]) for op in used)
        category = next(f for f in fields if f["Field"] == "eventCategory").get("Equals", [])
        if "Data" in category and "resources.type" not in names:
            raise _invalid("You must include the resources.type field when eventCategory is Data.")
        if "Management" in category:
            for field in fields:
                if field["Field"] == "eventSource" and (
                        set(field) - {"Field", "NotEquals"} or not set(field.get("NotEquals", [])) <= EXCLUDABLE_SOURCES):
                    raise _invalid("For management events, eventSource only supports NotEquals "
                                   "kms.amazonaws.com or rdsdata.amazonaws.com.")
    if values > MAX_ADVANCED_VALUES:
        raise _invalid(f"The total number of values in advanced event selectors cannot exceed {MAX_ADVANCED_VALUES}.")
    return selectors


def _field_values(record: dict[str, Any], field: str) -> list[str]:
    """The record's values for an advanced-selector field (resources.* can have several)."""
    if field == "resources.type":
        return [r.get("type", "") for r in record.get("resources") or []]
    if field == "resources.ARN":
        return [r.get("ARN", "") for r in record.get("resources") or []]
    if field == "userIdentity.arn":
        return [str((record.get("userIdentity") or {}).get("arn", ""))]
    value = record.get(field)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return [] if value is None else [str(value)]


def _condition(field: dict[str, Any], values: list[str]) -> bool:
    for op in OPERATORS:
        wanted = field.get(op)
        if not wanted:
            continue
        test = {"Equals": lambda v, w: v == w, "StartsWith": lambda v, w: v.startswith(w),
                "EndsWith": lambda v, w: v.endswith(w), "NotEquals": lambda v, w: v == w,
                "NotStartsWith": lambda v, w: v.startswith(w), "NotEndsWith": lambda v, w: v.endswith(w)}[op]
        hit = any(test(v, w) for v in values for w in wanted)
        if op.startswith("Not") == hit:
            return False
    return True


def matches_advanced(selectors: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    return any(all(_condition(f, _field_values(record, f["Field"])) for f in s["FieldSelectors"]) for s in selectors)


def _data_resource_hit(resource: dict[str, Any], record: dict[str, Any]) -> bool:
    arns = [r.get("ARN", "") for r in record.get("resources") or [] if r.get("type") == resource["Type"]]
    for value in resource.get("Values") or []:
        if value in ("arn:aws:s3", "arn:aws:lambda") and arns:
            return True  # all objects in all buckets / all functions
        if any(arn.startswith(value) for arn in arns):
            return True
    return False


def matches_basic(selectors: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    read_only = bool(record.get("readOnly"))
    for selector in selectors:
        kind = selector.get("ReadWriteType", "All")
        if (kind == "ReadOnly" and not read_only) or (kind == "WriteOnly" and read_only):
            continue
        if record.get("eventCategory", "Management") == "Management":
            if selector.get("IncludeManagementEvents", True) and \
                    record.get("eventSource") not in (selector.get("ExcludeManagementEventSources") or []):
                return True
        elif any(_data_resource_hit(r, record) for r in selector.get("DataResources") or []):
            return True
    return False


def logs(basic: list[dict[str, Any]] | None, advanced: list[dict[str, Any]] | None, record: dict[str, Any]) -> bool:
    """Whether a trail with these selectors logs ``record`` (Insights are never logged this way)."""
    if record.get("eventCategory") == "Insight":
        return False
    if advanced:
        return matches_advanced(advanced, record)
    return matches_basic(basic or DEFAULT_SELECTORS, record)
