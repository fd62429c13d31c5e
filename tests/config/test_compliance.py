"""Compliance roll-up, pinned to the AWS Config API reference: Compliance, ComplianceContributorCount,
ComplianceSummary, DescribeComplianceByConfigRule, DescribeComplianceByResource,
GetComplianceSummaryByConfigRule and GetComplianceSummaryByResourceType.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.config.rules.compliance import (
    compliance_by_config_rule,
    compliance_by_resource,
    compliance_summary_by_config_rule,
    compliance_summary_by_resource_type,
    contributor_count,
    current_results_sql,
    roll_up,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TYPES = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")


SHARED = duckdb.connect()
SHARED.execute("SET TimeZone='UTC'")


def evaluations_db(rows: list[tuple[str, str, str, str, int]], db: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """rows: (rule, resource type, resource id, compliance type, minutes after T0)."""
    if db is None:
        db = duckdb.connect()
        db.execute("SET TimeZone='UTC'")
    db.execute(
        "CREATE OR REPLACE TABLE config_evaluations(config_rule_name VARCHAR, resource_type VARCHAR, resource_id VARCHAR, "
        "compliance_type VARCHAR, ordering_timestamp TIMESTAMPTZ, result_recorded_time TIMESTAMPTZ)"
    )
    values = [
        # later rows were recorded later
        (rule, rtype, rid, compliance, T0 + timedelta(minutes=minute), T0 + timedelta(days=1, seconds=n))
        for n, (rule, rtype, rid, compliance, minute) in enumerate(rows)
    ]
    if values:
        db.executemany("INSERT INTO config_evaluations VALUES (?, ?, ?, ?, ?, ?)", values)
    return db


def test_roll_up_rules():
    """Compliance: NON_COMPLIANT if any result does not comply, COMPLIANT if all comply,
    INSUFFICIENT_DATA with no results or only NOT_APPLICABLE ones; never NOT_APPLICABLE."""
    assert roll_up(["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]) == "NON_COMPLIANT"
    assert roll_up(["COMPLIANT", "NOT_APPLICABLE"]) == "COMPLIANT"
    assert roll_up(["NOT_APPLICABLE", "NOT_APPLICABLE"]) == "INSUFFICIENT_DATA"
    assert roll_up([]) == "INSUFFICIENT_DATA"


def test_compliance_by_config_rule():
    """DescribeComplianceByConfigRule: the number of noncompliant resources for a noncompliant
    rule; INSUFFICIENT_DATA for a rule never evaluated or whose results are all NOT_APPLICABLE."""
    db = evaluations_db([
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", 0),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-2", "NON_COMPLIANT", 0),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-3", "COMPLIANT", 0),
        ("restricted-ssh", "AWS::EC2::SecurityGroup", "sg-1", "COMPLIANT", 0),
        ("restricted-ssh", "AWS::EC2::SecurityGroup", "sg-2", "NOT_APPLICABLE", 0),
        ("eip-attached", "AWS::EC2::EIP", "eip-1", "NOT_APPLICABLE", 0),
    ])  # fmt: skip
    rules = ["encrypted-volumes", "restricted-ssh", "eip-attached", "cloudtrail-enabled"]
    assert compliance_by_config_rule(db, rules) == [
        {"ConfigRuleName": "cloudtrail-enabled", "Compliance": {"ComplianceType": "INSUFFICIENT_DATA"}},
        {"ConfigRuleName": "eip-attached", "Compliance": {"ComplianceType": "INSUFFICIENT_DATA"}},
        {"ConfigRuleName": "encrypted-volumes", "Compliance": {
            "ComplianceType": "NON_COMPLIANT", "ComplianceContributorCount": {"CappedCount": 2, "CapExceeded": False}}},
        {"ConfigRuleName": "restricted-ssh", "Compliance": {"ComplianceType": "COMPLIANT"}},
    ]  # fmt: skip
    assert [c["ConfigRuleName"] for c in compliance_by_config_rule(db, rules, compliance_types=["COMPLIANT"])] == ["restricted-ssh"]


def test_latest_result_wins():
    """Only the current result counts: the latest by OrderingTimestamp per rule and resource."""
    db = evaluations_db([
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", 0),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "COMPLIANT", 10),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-2", "NOT_APPLICABLE", 10),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-2", "NON_COMPLIANT", 5),
    ])  # fmt: skip
    assert compliance_by_config_rule(db, ["encrypted-volumes"])[0]["Compliance"] == {"ComplianceType": "COMPLIANT"}
    assert len(db.execute(current_results_sql()).fetchall()) == 2


def test_compliance_by_resource():
    """DescribeComplianceByResource: NON_COMPLIANT with the number of rules it fails;
    COMPLIANT if it complies with all rules that evaluate it; INSUFFICIENT_DATA when only
    NOT_APPLICABLE results exist; account-level results are resources too."""
    db = evaluations_db([
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", 0),
        ("ec2-volume-inuse-check", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", 0),
        ("required-tags", "AWS::EC2::Volume", "vol-1", "COMPLIANT", 0),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-2", "COMPLIANT", 0),
        ("required-tags", "AWS::EC2::Volume", "vol-2", "NOT_APPLICABLE", 0),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-3", "NOT_APPLICABLE", 0),
        ("root-account-mfa-enabled", "AWS::::Account", "123456789012", "NON_COMPLIANT", 0),
    ])  # fmt: skip
    assert compliance_by_resource(db) == [
        {"ResourceType": "AWS::::Account", "ResourceId": "123456789012", "Compliance": {
            "ComplianceType": "NON_COMPLIANT", "ComplianceContributorCount": {"CappedCount": 1, "CapExceeded": False}}},
        {"ResourceType": "AWS::EC2::Volume", "ResourceId": "vol-1", "Compliance": {
            "ComplianceType": "NON_COMPLIANT", "ComplianceContributorCount": {"CappedCount": 2, "CapExceeded": False}}},
        {"ResourceType": "AWS::EC2::Volume", "ResourceId": "vol-2", "Compliance": {"ComplianceType": "COMPLIANT"}},
        {"ResourceType": "AWS::EC2::Volume", "ResourceId": "vol-3", "Compliance": {"ComplianceType": "INSUFFICIENT_DATA"}},
    ]  # fmt: skip
    only_vol1 = compliance_by_resource(db, resource_type="AWS::EC2::Volume", resource_id="vol-1", rule_names=["required-tags"])
    assert only_vol1 == [{"ResourceType": "AWS::EC2::Volume", "ResourceId": "vol-1", "Compliance": {"ComplianceType": "COMPLIANT"}}]
    assert len(compliance_by_resource(db, compliance_types=["INSUFFICIENT_DATA"])) == 1


def test_contributor_counts_are_capped():
    """ComplianceContributorCount: CappedCount up to a maximum, CapExceeded once it is passed;
    ComplianceSummary documents 25 for rules and 100 for resources."""
    assert contributor_count(3, 25) == {"CappedCount": 3, "CapExceeded": False}
    assert contributor_count(25, 25) == {"CappedCount": 25, "CapExceeded": False}
    assert contributor_count(26, 25) == {"CappedCount": 25, "CapExceeded": True}
    many_resources = [("encrypted-volumes", "AWS::EC2::Volume", f"vol-{n}", "NON_COMPLIANT", 0) for n in range(120)]
    many_rules = [(f"rule-{n:02}", "AWS::EC2::Volume", "vol-x", "NON_COMPLIANT", 0) for n in range(30)]
    db = evaluations_db(many_resources + many_rules)
    by_rule = compliance_by_config_rule(db, ["encrypted-volumes"])[0]["Compliance"]["ComplianceContributorCount"]
    assert by_rule == {"CappedCount": 100, "CapExceeded": True}
    by_resource = compliance_by_resource(db, resource_id="vol-x")[0]["Compliance"]["ComplianceContributorCount"]
    assert by_resource == {"CappedCount": 25, "CapExceeded": True}


def test_summary_by_config_rule_counts_rules_up_to_25():
    """GetComplianceSummaryByConfigRule: rules compliant and noncompliant, up to 25 each."""
    rows = [(f"ok-{n:02}", "AWS::EC2::Volume", "vol-1", "COMPLIANT", 0) for n in range(30)]
    rows += [("bad", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", 0), ("idle", "AWS::EC2::Volume", "vol-1", "NOT_APPLICABLE", 0)]
    db = evaluations_db(rows)
    names = [r[0] for r in rows] + ["never-run"]
    assert compliance_summary_by_config_rule(db, names, T0) == {
        "CompliantResourceCount": {"CappedCount": 25, "CapExceeded": True},
        "NonCompliantResourceCount": {"CappedCount": 1, "CapExceeded": False},
        "ComplianceSummaryTimestamp": T0,
    }


def test_summary_by_resource_type():
    """GetComplianceSummaryByResourceType: resources compliant and not, per requested type (up to
    100), or one summary over all resources when no type is given."""
    db = evaluations_db([
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", 0),
        ("encrypted-volumes", "AWS::EC2::Volume", "vol-2", "COMPLIANT", 0),
        ("restricted-ssh", "AWS::EC2::SecurityGroup", "sg-1", "COMPLIANT", 0),
    ])  # fmt: skip
    summary = compliance_summary_by_resource_type(db, T0)
    assert summary == [{"ComplianceSummary": {
        "CompliantResourceCount": {"CappedCount": 2, "CapExceeded": False},
        "NonCompliantResourceCount": {"CappedCount": 1, "CapExceeded": False},
        "ComplianceSummaryTimestamp": T0}}]  # fmt: skip
    by_type = compliance_summary_by_resource_type(db, T0, ["AWS::EC2::Volume", "AWS::S3::Bucket"])
    assert [(s["ResourceType"], s["ComplianceSummary"]["NonCompliantResourceCount"]["CappedCount"]) for s in by_type] == [
        ("AWS::EC2::Volume", 1), ("AWS::S3::Bucket", 0)
    ]  # fmt: skip


def test_relation_name_must_be_a_name():
    with pytest.raises(ValueError):
        current_results_sql("x; DROP TABLE y")


evaluation_rows = st.lists(
    st.tuples(st.sampled_from(["r1", "r2", "r3"]), st.just("AWS::EC2::Volume"), st.sampled_from(["v1", "v2", "v3"]),
              st.sampled_from(TYPES), st.integers(0, 5)),
    max_size=25,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(evaluation_rows)
def test_sql_roll_up_agrees_with_the_rule(rows):
    """The DuckDB roll-up equals roll_up() over each rule's and resource's latest results."""
    db = evaluations_db(rows, SHARED)
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for rule, _, rid, compliance, minute in rows:
        # The latest OrderingTimestamp wins; on a tie, the result recorded last.
        if (rule, rid) not in latest or minute >= latest[(rule, rid)][0]:
            latest[(rule, rid)] = (minute, compliance)
    current = {k: c for k, (_, c) in latest.items()}
    for row in compliance_by_config_rule(db, ["r1", "r2", "r3"]):
        types = [c for (rule, _), c in current.items() if rule == row["ConfigRuleName"]]
        assert row["Compliance"]["ComplianceType"] == roll_up(types)
    for row in compliance_by_resource(db):
        types = [c for (_, rid), c in current.items() if rid == row["ResourceId"]]
        assert row["Compliance"]["ComplianceType"] == roll_up(types)
