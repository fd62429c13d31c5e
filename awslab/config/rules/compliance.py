"""Compliance roll-up: from evaluation results to the compliance of rules and resources.

As the AWS Config API reference documents it (Compliance, ComplianceContributorCount,
ComplianceSummary, DescribeComplianceByConfigRule, DescribeComplianceByResource,
GetComplianceSummaryByConfigRule, GetComplianceSummaryByResourceType):

- The current result of a rule for a resource is its latest evaluation, by OrderingTimestamp.
- A rule is NON_COMPLIANT if any resource it evaluated does not comply, COMPLIANT if all the
  resources it evaluated comply, and INSUFFICIENT_DATA when it has no current results, which
  includes the case where every result is NOT_APPLICABLE (resources deleted or out of scope).
- A resource is NON_COMPLIANT if it fails one or more rules, COMPLIANT if it complies with all
  the rules that evaluate it, INSUFFICIENT_DATA when all its results are NOT_APPLICABLE.
  NOT_APPLICABLE is never a rolled-up compliance.
- A NON_COMPLIANT compliance carries ComplianceContributorCount: how many resources (for a
  rule) or rules (for a resource) cause it, capped. ComplianceSummary counts rules up to 25
  and resources up to 100; we cap contributor counts the same way (25 when the contributors
  are rules, 100 when they are resources) and set CapExceeded when the count is above the cap.

The roll-up runs in DuckDB over an evaluations relation with the columns ``config_rule_name,
resource_type, resource_id, compliance_type, ordering_timestamp, result_recorded_time``
(one row per evaluation received; older rows may stay, only the latest counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from awslab.config.rules.model import COMPLIANT, INSUFFICIENT_DATA, NON_COMPLIANT

__all__ = [
    "MAX_RESOURCES_COUNTED",
    "MAX_RULES_COUNTED",
    "compliance_by_config_rule",
    "compliance_by_resource",
    "compliance_summary_by_config_rule",
    "compliance_summary_by_resource_type",
    "contributor_count",
    "current_results_sql",
    "roll_up",
]

MAX_RULES_COUNTED = 25
MAX_RESOURCES_COUNTED = 100


def roll_up(compliance_types: Iterable[str]) -> str:
    """The compliance of a rule or resource from its current results' compliance types."""
    seen = set(compliance_types)
    if NON_COMPLIANT in seen:
        return NON_COMPLIANT
    if COMPLIANT in seen:
        return COMPLIANT
    return INSUFFICIENT_DATA


def contributor_count(count: int, cap: int) -> dict[str, Any]:
    """A ComplianceContributorCount: the count up to ``cap``, and whether it went beyond."""
    return {"CappedCount": min(count, cap), "CapExceeded": count > cap}


def _relation(name: str) -> str:
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"not a table or view name: {name!r}")
    return name


def current_results_sql(evaluations: str = "config_evaluations", scoped: bool = False) -> str:
    """SQL for the current result of every (rule, resource): its latest evaluation.

    ``scoped`` keeps one account and Region (parameters ``$scope_account`` and ``$scope_region``).
    """
    where = "\nWHERE account_id = $scope_account AND region = $scope_region" if scoped else ""
    return f"""SELECT *
FROM {_relation(evaluations)}{where}
QUALIFY row_number() OVER (
    PARTITION BY config_rule_name, resource_type, resource_id
    ORDER BY ordering_timestamp DESC, result_recorded_time DESC NULLS LAST
) = 1"""


_ROLL_UP_SQL = """CASE
        WHEN count(*) FILTER (WHERE c.compliance_type = 'NON_COMPLIANT') > 0 THEN 'NON_COMPLIANT'
        WHEN count(*) FILTER (WHERE c.compliance_type = 'COMPLIANT') > 0 THEN 'COMPLIANT'
        ELSE 'INSUFFICIENT_DATA' END AS compliance_type,
    count(*) FILTER (WHERE c.compliance_type = 'NON_COMPLIANT') AS non_compliant"""


def _compliance(compliance_type: str, non_compliant: int, cap: int) -> dict[str, Any]:
    out: dict[str, Any] = {"ComplianceType": compliance_type}
    if compliance_type == NON_COMPLIANT:
        out["ComplianceContributorCount"] = contributor_count(non_compliant, cap)
    return out


def _scope_params(scope: tuple[str, str] | None) -> dict[str, str]:
    return {} if scope is None else {"scope_account": scope[0], "scope_region": scope[1]}


def _rule_rows(db: Any, rule_names: Sequence[str], evaluations: str,
               scope: tuple[str, str] | None = None) -> list[tuple[str, str, int]]:
    sql = f"""WITH current AS (
{current_results_sql(evaluations, scope is not None)}
),
rules AS (SELECT DISTINCT unnest($rule_names::VARCHAR[]) AS config_rule_name)
SELECT r.config_rule_name,
    {_ROLL_UP_SQL}
FROM rules AS r
LEFT JOIN current AS c ON c.config_rule_name = r.config_rule_name
GROUP BY r.config_rule_name
ORDER BY r.config_rule_name"""
    return db.execute(sql, {"rule_names": list(rule_names), **_scope_params(scope)}).fetchall()


def compliance_by_config_rule(
    db: Any,
    rule_names: Sequence[str],
    *,
    evaluations: str = "config_evaluations",
    compliance_types: Sequence[str] | None = None,
    scope: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """DescribeComplianceByConfigRule's ComplianceByConfigRules for the given (existing) rules.

    ``scope`` (account id, Region) limits the roll-up to one account and Region's evaluations.
    """
    out = []
    for name, compliance_type, non_compliant in _rule_rows(db, rule_names, evaluations, scope):
        if compliance_types and compliance_type not in compliance_types:
            continue
        compliance = _compliance(compliance_type, non_compliant, MAX_RESOURCES_COUNTED)
        out.append({"ConfigRuleName": name, "Compliance": compliance})
    return out


def _resource_rows(
    db: Any,
    evaluations: str,
    rule_names: Sequence[str] | None,
    resource_type: str | None,
    resource_id: str | None,
    scope: tuple[str, str] | None = None,
) -> list[tuple[str, str, str, int]]:
    filters, params = [], dict(_scope_params(scope))
    if rule_names is not None:
        filters.append("c.config_rule_name IN (SELECT unnest($rule_names::VARCHAR[]))")
        params["rule_names"] = list(rule_names)
    if resource_type is not None:
        filters.append("c.resource_type = $resource_type")
        params["resource_type"] = resource_type
    if resource_id is not None:
        filters.append("c.resource_id = $resource_id")
        params["resource_id"] = resource_id
    where = ("WHERE " + " AND ".join(filters)) if filters else ""
    sql = f"""WITH current AS (
{current_results_sql(evaluations, scope is not None)}
)
SELECT c.resource_type, c.resource_id,
    {_ROLL_UP_SQL}
FROM current AS c
{where}
GROUP BY c.resource_type, c.resource_id
ORDER BY c.resource_type, c.resource_id"""
    return db.execute(sql, params).fetchall()


def compliance_by_resource(
    db: Any,
    *,
    evaluations: str = "config_evaluations",
    rule_names: Sequence[str] | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    compliance_types: Sequence[str] | None = None,
    scope: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """DescribeComplianceByResource's ComplianceByResources for the evaluated resources.

    ``rule_names`` limits the roll-up to rules that still exist.
    """
    out = []
    rows = _resource_rows(db, evaluations, rule_names, resource_type, resource_id, scope)
    for rtype, rid, compliance_type, non_compliant in rows:
        if compliance_types and compliance_type not in compliance_types:
            continue
        compliance = _compliance(compliance_type, non_compliant, MAX_RULES_COUNTED)
        out.append({"ResourceType": rtype, "ResourceId": rid, "Compliance": compliance})
    return out


def _summary(compliant: int, non_compliant: int, cap: int, now: datetime) -> dict[str, Any]:
    return {
        "CompliantResourceCount": contributor_count(compliant, cap),
        "NonCompliantResourceCount": contributor_count(non_compliant, cap),
        "ComplianceSummaryTimestamp": now,
    }


def compliance_summary_by_config_rule(
    db: Any, rule_names: Sequence[str], now: datetime, *, evaluations: str = "config_evaluations",
    scope: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """GetComplianceSummaryByConfigRule's ComplianceSummary: rules compliant and not, up to 25."""
    types = [compliance_type for _, compliance_type, _ in _rule_rows(db, rule_names, evaluations, scope)]
    return _summary(types.count(COMPLIANT), types.count(NON_COMPLIANT), MAX_RULES_COUNTED, now)


def compliance_summary_by_resource_type(
    db: Any,
    now: datetime,
    resource_types: Sequence[str] | None = None,
    *,
    evaluations: str = "config_evaluations",
    rule_names: Sequence[str] | None = None,
    scope: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """GetComplianceSummaryByResourceType's ComplianceSummariesByResourceType, up to 100 each.

    Without ``resource_types`` there is one summary over all resources and no ResourceType.
    """
    rows = _resource_rows(db, evaluations, rule_names, None, None, scope)
    if not resource_types:
        types = [compliance_type for _, _, compliance_type, _ in rows]
        summary = _summary(types.count(COMPLIANT), types.count(NON_COMPLIANT), MAX_RESOURCES_COUNTED, now)
        return [{"ComplianceSummary": summary}]
    out = []
    for wanted in resource_types:
        types = [compliance_type for rtype, _, compliance_type, _ in rows if rtype == wanted]
        summary = _summary(types.count(COMPLIANT), types.count(NON_COMPLIANT), MAX_RESOURCES_COUNTED, now)
        out.append({"ResourceType": wanted, "ComplianceSummary": summary})
    return out
