"""What a managed rule is: its parameters, its trigger, its evaluations and the context it reads.

Vocabulary from the AWS Config API (Evaluation, ComplianceType, InputParameters) and the
Developer Guide pages "AWS Config Managed Rules" (evaluate-config_use-managed-rules.html),
"Evaluation Mode and Trigger Types" (evaluate-config-rules.html) and "AWS Config Custom Lambda
Rules" (evaluate-config_develop-rules_lambda-functions.html): an evaluation reports one resource
as COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE (never INSUFFICIENT_DATA), its OrderingTimestamp
is the configuration item's capture time for a change-triggered evaluation and the invocation
time for a periodic one, and an annotation holds at most 256 characters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol
from urllib.parse import unquote

from awslab.errors import AWSError

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
EVALUATION_COMPLIANCE_TYPES = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE)
ACCOUNT_RESOURCE_TYPE = "AWS::::Account"
MAX_ANNOTATION_LENGTH = 256
DELETED_STATUSES = ("ResourceDeleted", "ResourceDeletedNotRecorded")


class Trigger(str, Enum):
    """When a managed rule runs, as the rule pages name it."""

    CONFIGURATION_CHANGES = "Configuration changes"
    PERIODIC = "Periodic"
    CONFIGURATION_CHANGES_AND_PERIODIC = "Configuration changes and Periodic"

    @property
    def on_change(self) -> bool:
        return self is not Trigger.PERIODIC

    @property
    def periodic(self) -> bool:
        return self is not Trigger.CONFIGURATION_CHANGES


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of one resource, shaped like the API's Evaluation."""

    compliance_resource_type: str
    compliance_resource_id: str
    compliance_type: str
    ordering_timestamp: datetime
    annotation: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ComplianceResourceType": self.compliance_resource_type,
            "ComplianceResourceId": self.compliance_resource_id,
            "ComplianceType": self.compliance_type,
            "OrderingTimestamp": self.ordering_timestamp,
        }
        if self.annotation:
            out["Annotation"] = self.annotation
        return out


@dataclass(frozen=True)
class Verdict:
    """What a rule decided about one resource, before it becomes an Evaluation."""

    compliance_type: str
    annotation: str | None = None


def compliant(annotation: str | None = None) -> Verdict:
    return Verdict(COMPLIANT, annotation)


def non_compliant(annotation: str | None = None) -> Verdict:
    return Verdict(NON_COMPLIANT, annotation)


def not_applicable(annotation: str | None = None) -> Verdict:
    return Verdict(NOT_APPLICABLE, annotation)


def _truncate(annotation: str | None) -> str | None:
    if annotation is None or len(annotation) <= MAX_ANNOTATION_LENGTH:
        return annotation
    return annotation[: MAX_ANNOTATION_LENGTH - len("[truncated]")] + "[truncated]"


# --------------------------------------------------------------------------------------------
# Configuration items


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_timestamp(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ConfigurationItem:
    """A configuration item read from any of its spellings.

    Accepts the API form (``accountId``, ``configuration`` as a JSON string, supplementary values
    as JSON strings), the notification form (``awsAccountId``, ``ARN``, objects) and a row of
    the ``config_items`` table (``resource_type``, ``supplementary_configuration``, ...).
    """

    resource_type: str
    resource_id: str
    resource_name: str | None = None
    status: str = "OK"
    capture_time: datetime | None = None
    configuration: dict[str, Any] = field(default_factory=dict)
    supplementary: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    relationships: list[dict[str, Any]] = field(default_factory=list)
    arn: str | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any] | ConfigurationItem) -> ConfigurationItem:
        if isinstance(item, ConfigurationItem):
            return item

        def pick(*names: str) -> Any:
            for name in names:
                if name in item and item[name] is not None:
                    return item[name]
            return None

        configuration = _json(pick("configuration")) or {}
        raw_supplementary = _json(pick("supplementaryConfiguration", "supplementary_configuration"))
        supplementary = {k: _json(v) for k, v in raw_supplementary.items()} if isinstance(raw_supplementary, dict) else {}
        tags = _json(pick("tags")) or {}
        if isinstance(tags, list):
            tags = {t.get("key", t.get("Key")): t.get("value", t.get("Value")) for t in tags if isinstance(t, dict)}
        if not isinstance(tags, dict):
            tags = {}
        relationships = _json(pick("relationships"))
        return cls(
            resource_type=str(pick("resourceType", "resource_type")),
            resource_id=str(pick("resourceId", "resource_id")),
            resource_name=pick("resourceName", "resource_name"),
            status=str(pick("configurationItemStatus", "status") or "OK"),
            capture_time=parse_timestamp(pick("configurationItemCaptureTime", "capture_time")),
            configuration=configuration if isinstance(configuration, dict) else {},
            supplementary=supplementary,
            tags={str(k): "" if v is None else str(v) for k, v in tags.items()},
            relationships=[r for r in relationships if isinstance(r, dict)] if isinstance(relationships, list) else [],
            arn=pick("arn", "ARN"),
        )

    def get(self, *path: str, default: Any = None) -> Any:
        """The configuration value at a path of keys, or ``default``."""
        value: Any = self.configuration
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return default if value is None else value

    @property
    def deleted(self) -> bool:
        return self.status in DELETED_STATUSES


def policy_document(value: Any) -> dict[str, Any]:
    """A policy document from a configuration item: a dict, JSON, or URL-encoded JSON."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        for text in (value, unquote(value)):
            try:
                parsed = json.loads(text)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                return parsed
    return {}


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    found = [found] if isinstance(found, dict) else found
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------------
# What a rule may read besides the item


class RuleContext(Protocol):
    """What a managed rule may look at beyond the configuration item it evaluates.

    Methods mirror the boto3 calls AWS's managed rules make, with their response shapes, so
    the lab can answer them from its own services. Periodic account-level rules read only this.
    """

    account_id: str
    region: str
    now: datetime

    def list_items(self, resource_type: str) -> Sequence[Mapping[str, Any]]:
        """The current (latest, not deleted) recorded configuration items of a type."""
        ...

    def get_account_summary(self) -> Mapping[str, Any]:
        """IAM GetAccountSummary: ``{"SummaryMap": {"AccountMFAEnabled": 0|1, ...}}``."""
        ...

    def get_account_password_policy(self) -> Mapping[str, Any] | None:
        """IAM GetAccountPasswordPolicy ``{"PasswordPolicy": {...}}``; None for NoSuchEntity."""
        ...

    def credential_report(self) -> Sequence[Mapping[str, str]]:
        """The IAM credential report's rows (CSV columns: user, password_enabled, mfa_active, ...)."""
        ...

    def get_ebs_encryption_by_default(self) -> Mapping[str, Any]:
        """EC2 GetEbsEncryptionByDefault: ``{"EbsEncryptionByDefault": bool}``."""
        ...

    def describe_trails(self) -> Mapping[str, Any]:
        """CloudTrail DescribeTrails (shadow trails included): ``{"trailList": [...]}``."""
        ...

    def get_trail_status(self, name: str) -> Mapping[str, Any]:
        """CloudTrail GetTrailStatus: ``{"IsLogging": bool, ...}``."""
        ...

    def get_event_selectors(self, name: str) -> Mapping[str, Any]:
        """CloudTrail GetEventSelectors: ``{"EventSelectors": [...]}``."""
        ...


@dataclass
class StaticRuleContext:
    """A RuleContext over fixed data: for tests, notebooks and what-if questions."""

    account_id: str = "123456789012"
    region: str = "us-east-1"
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    items: list[Mapping[str, Any]] = field(default_factory=list)
    account_summary: dict[str, int] = field(default_factory=dict)
    password_policy: dict[str, Any] | None = None
    credential_rows: list[dict[str, str]] = field(default_factory=list)
    ebs_encryption_by_default: bool = False
    trails: list[dict[str, Any]] = field(default_factory=list)
    trail_statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    event_selectors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def list_items(self, resource_type: str) -> list[Mapping[str, Any]]:
        return [i for i in self.items if ConfigurationItem.of(i).resource_type == resource_type]

    def get_account_summary(self) -> dict[str, Any]:
        return {"SummaryMap": dict(self.account_summary)}

    def get_account_password_policy(self) -> dict[str, Any] | None:
        return None if self.password_policy is None else {"PasswordPolicy": dict(self.password_policy)}

    def credential_report(self) -> list[dict[str, str]]:
        return list(self.credential_rows)

    def get_ebs_encryption_by_default(self) -> dict[str, Any]:
        return {"EbsEncryptionByDefault": self.ebs_encryption_by_default}

    def describe_trails(self) -> dict[str, Any]:
        return {"trailList": list(self.trails)}

    def _trail_key(self, name: str) -> str:
        for trail in self.trails:
            if name in (trail.get("Name"), trail.get("TrailARN")):
                return str(trail.get("Name"))
        return name

    def get_trail_status(self, name: str) -> dict[str, Any]:
        return dict(self.trail_statuses.get(self._trail_key(name), {"IsLogging": False}))

    def get_event_selectors(self, name: str) -> dict[str, Any]:
        default = {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}
        return dict(self.event_selectors.get(self._trail_key(name), default))


# --------------------------------------------------------------------------------------------
# Parameters


class RuleParameterError(ValueError):
    """A rule parameter value the rule cannot use; the evaluation fails (no results)."""


def invalid_parameter_value(message: str) -> AWSError:
    return AWSError("InvalidParameterValueException", message)


def parse_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise RuleParameterError(f"'{raw}' is not an integer") from None


def parse_csv(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse_bool(raw: str) -> bool:
    return raw.strip().lower() == "true"


def parse_strict_true(raw: str) -> bool:
    """iam-password-policy: "true" is case-sensitive, anything else means false."""
    return raw == "true"


_PARSERS: dict[str, Callable[[str], Any]] = {
    "int": parse_int,
    "CSV": parse_csv,
    "boolean": parse_bool,
    "String": str,
}


@dataclass(frozen=True)
class Parameter:
    """One input parameter of a managed rule, as its documentation page lists it."""

    name: str
    type: str = "String"  # "String" | "int" | "boolean" | "CSV"
    optional: bool = True
    default: str | None = None
    parser: Callable[[str], Any] | None = None

    def parse(self, raw: str) -> Any:
        return (self.parser or _PARSERS.get(self.type, str))(raw)


# --------------------------------------------------------------------------------------------
# Managed rules


Check = Callable[[ConfigurationItem, Mapping[str, Any], RuleContext], Verdict]
AccountCheck = Callable[[Mapping[str, Any], RuleContext], Verdict]


@dataclass(frozen=True)
class ManagedRule:
    """An AWS managed rule: identifier, scope, trigger, parameters and its decision.

    A resource rule has ``check`` (one configuration item in, one verdict out); a periodic
    account-level rule has ``check_account`` and reports ``AWS::::Account``.
    """

    identifier: str
    name: str
    resource_types: tuple[str, ...]
    trigger: Trigger
    parameters: tuple[Parameter, ...] = ()
    check: Check | None = None
    check_account: AccountCheck | None = None

    @property
    def documentation(self) -> str:
        return f"https://docs.aws.amazon.com/config/latest/developerguide/{self.name}.html"

    @property
    def account_level(self) -> bool:
        return self.check_account is not None

    def validate_input_parameters(self, input_parameters: str | Mapping[str, Any] | None) -> dict[str, str]:
        """PutConfigRule's checks of InputParameters for this rule; returns them as a dict.

        Raises InvalidParameterValueException as AWS does (messages as moto records them): bad
        JSON, unknown parameter names, missing required parameters, non-string or blank values.
        """
        if input_parameters is None or input_parameters == "":
            raw: Any = {}
        elif isinstance(input_parameters, str):
            try:
                raw = json.loads(input_parameters)
            except ValueError:
                raise invalid_parameter_value(
                    f"Invalid json {input_parameters} passed in the InputParameters field"
                ) from None
        else:
            raw = dict(input_parameters)
        if not isinstance(raw, dict):
            raise invalid_parameter_value(f"Invalid json {input_parameters} passed in the InputParameters field")
        known = {p.name for p in self.parameters}
        if set(raw) - known:
            raise invalid_parameter_value(f"Unknown parameters provided in the inputParameters: {input_parameters}")
        missing = sorted(p.name for p in self.parameters if not p.optional and p.name not in raw)
        if missing:
            raise invalid_parameter_value(
                f"The required parameter [{', '.join(missing)}] is not present in the inputParameters"
            )
        for name, value in raw.items():
            if not isinstance(value, str) or not value.strip():
                raise invalid_parameter_value(f"Blank spaces are not acceptable for input parameter: {name}.")
        return dict(raw)

    def resolve_parameters(self, input_parameters: str | Mapping[str, Any] | None) -> dict[str, Any]:
        """The parameters a rule runs with: given values parsed by type, defaults for the rest."""
        if isinstance(input_parameters, str):
            input_parameters = json.loads(input_parameters) if input_parameters else {}
        given = dict(input_parameters or {})
        resolved: dict[str, Any] = {}
        for parameter in self.parameters:
            raw = given.get(parameter.name, parameter.default)
            if raw is None:
                continue
            resolved[parameter.name] = parameter.parse(str(raw))
        return resolved

    def evaluate(
        self,
        item: Mapping[str, Any] | ConfigurationItem | None,
        params: str | Mapping[str, Any] | None,
        context: RuleContext,
    ) -> list[Evaluation]:
        """Evaluate the rule: for one changed item, or (``item`` None) periodically.

        ``params`` are the rule's InputParameters (JSON text or its dict). A periodic run of a
        resource rule evaluates every recorded item of its types that ``context`` lists.
        Raises RuleParameterError when a parameter value cannot be used.
        """
        resolved = self.resolve_parameters(params)
        if self.check_account is not None:
            verdict = self.check_account(resolved, context)
            return [self._evaluation(ACCOUNT_RESOURCE_TYPE, context.account_id, verdict, context.now)]
        if item is None:
            return [
                self._evaluate_item(ConfigurationItem.of(i), resolved, context, context.now)
                for resource_type in self.resource_types
                for i in context.list_items(resource_type)
                if not ConfigurationItem.of(i).deleted
            ]
        ci = ConfigurationItem.of(item)
        if ci.resource_type not in self.resource_types:
            return []
        return [self._evaluate_item(ci, resolved, context, ci.capture_time or context.now)]

    def _evaluate_item(
        self, ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext, ordering: datetime
    ) -> Evaluation:
        if ci.deleted:
            # A deleted resource leaves the rule's scope (DescribeComplianceByConfigRule).
            verdict = not_applicable()
        else:
            assert self.check is not None
            verdict = self.check(ci, params, context)
        return self._evaluation(ci.resource_type, ci.resource_id, verdict, ordering)

    @staticmethod
    def _evaluation(resource_type: str, resource_id: str, verdict: Verdict, ordering: datetime) -> Evaluation:
        return Evaluation(resource_type, resource_id, verdict.compliance_type, ordering, _truncate(verdict.annotation))
