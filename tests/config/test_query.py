"""SelectResourceConfig over config_items, pinned to AWS Config's advanced-query documentation.

Pages (AWS Config Developer Guide): example-query.html ("Example Queries"),
examplerelationshipqueries.html ("Example Relationship Queries"), query-components.html
("Query Components"), querying-AWS-resources.html ("Querying the Current Configuration State
of AWS Resources", section Limitations); API reference API_SelectResourceConfig.html; and the
README of awslabs/aws-config-resource-schema.
"""

from __future__ import annotations

import json

import pytest

from awslab.config.query import latest_items_sql, select_resource_config, translate
from awslab.errors import AWSError

from .query_fixtures import ACCOUNT, add_item, new_db


def results(db, expression, **kwargs):
    return [json.loads(r) for r in select_resource_config(db, expression, **kwargs)["Results"]]


def invalid(db, expression, code="InvalidExpressionException"):
    with pytest.raises(AWSError) as caught:
        select_resource_config(db, expression)
    assert caught.value.code == code
    assert caught.value.status == 400
    return caught.value.message


@pytest.fixture
def db():
    db = new_db()
    for n, (az, itype) in enumerate([("us-west-2c", "t2.micro"), ("us-west-2a", "t1.micro")]):
        add_item(
            db,
            "AWS::EC2::Instance",
            f"i-{n}",
            {"instanceId": f"i-{n}", "imageId": "ami-12345", "instanceType": itype, "placement": {"tenancy": "default"}},
            availability_zone=az,
            tags={"Stage": "prod", "CostCenter": "12345"},
        )
    add_item(db, "AWS::EC2::Instance", "i-other", {"imageId": "ami-999", "instanceType": "m5.large"})
    yield db
    db.close()


def test_example_instances_with_ami(db):
    """example-query.html: "Query to list all EC2 instances with AMI ID ami-12345"."""
    answer = select_resource_config(
        db,
        """SELECT
    resourceId,
    resourceType,
    configuration.instanceType,
    configuration.placement.tenancy,
    configuration.imageId,
    availabilityZone
WHERE
    resourceType = 'AWS::EC2::Instance'
AND
    configuration.imageId = 'ami-12345'""",
    )
    assert answer["QueryInfo"] == {
        "SelectFields": [
            {"Name": "resourceId"},
            {"Name": "resourceType"},
            {"Name": "configuration.instanceType"},
            {"Name": "configuration.placement.tenancy"},
            {"Name": "configuration.imageId"},
            {"Name": "availabilityZone"},
        ]
    }
    assert [json.loads(r) for r in answer["Results"]] == [
        {
            "resourceId": "i-0",
            "configuration": {"imageId": "ami-12345", "instanceType": "t2.micro", "placement": {"tenancy": "default"}},
            "availabilityZone": "us-west-2c",
            "resourceType": "AWS::EC2::Instance",
        },
        {
            "resourceId": "i-1",
            "configuration": {"imageId": "ami-12345", "instanceType": "t1.micro", "placement": {"tenancy": "default"}},
            "availabilityZone": "us-west-2a",
            "resourceType": "AWS::EC2::Instance",
        },
    ]
    assert "NextToken" not in answer


def test_example_count_by_compliance_type(db):
    """example-query.html: "count of resources grouped by their AWS Config rules compliance status"."""
    for n, compliance in enumerate(["NON_COMPLIANT", "NON_COMPLIANT", "COMPLIANT"]):
        add_item(db, "AWS::Config::ResourceCompliance", f"AWS::EC2::Instance/i-{n}", {"complianceType": compliance})
    answer = select_resource_config(
        db,
        "SELECT configuration.complianceType, COUNT(*) WHERE resourceType = 'AWS::Config::ResourceCompliance' "
        "GROUP BY configuration.complianceType",
    )
    assert answer["QueryInfo"]["SelectFields"] == [{"Name": "configuration.complianceType"}, {"Name": "COUNT(*)"}]
    got = {r["configuration"]["complianceType"]: r["COUNT(*)"] for r in map(json.loads, answer["Results"])}
    assert got == {"NON_COMPLIANT": 2, "COMPLIANT": 1}


def test_example_conformance_pack_compliance(db):
    """example-query.html: "Query for the compliance status of AWS Conformance packs"."""
    add_item(
        db,
        "AWS::Config::ConformancePackCompliance",
        "conformance-pack-conformance-pack-ID",
        {"complianceType": "COMPLIANT"},
        resource_name="MyConformancePack1",
    )
    assert results(
        db,
        "SELECT resourceId, resourceName, resourceType, configuration.complianceType "
        "WHERE resourceType = 'AWS::Config::ConformancePackCompliance'",
    ) == [
        {
            "resourceId": "conformance-pack-conformance-pack-ID",
            "resourceName": "MyConformancePack1",
            "resourceType": "AWS::Config::ConformancePackCompliance",
            "configuration": {"complianceType": "COMPLIANT"},
        }
    ]


def test_example_count_by_account(db):
    """example-query.html: "SELECT COUNT(*), accountId group by accountId" (lower-case keywords)."""
    add_item(db, "AWS::EC2::Instance", "i-else", {}, account_id="210987654321")
    answer = select_resource_config(db, "SELECT COUNT(*), accountId group by accountId")
    assert answer["QueryInfo"]["SelectFields"] == [{"Name": "COUNT(*)"}, {"Name": "accountId"}]
    assert {r["accountId"]: r["COUNT(*)"] for r in map(json.loads, answer["Results"])} == {ACCOUNT: 3, "210987654321": 1}


def test_example_volumes_not_in_use(db):
    """example-query.html: "Query to list all EC2 volumes that are not in use" (state.value, tags: [])."""
    add_item(db, "AWS::EC2::Volume", "vol-0174de9c962f6581c",
             {"volumeId": "vol-0174de9c962f6581c", "volumeType": "gp2", "size": 100.0, "encrypted": False,
              "state": "available", "availabilityZone": "us-west-2a", "attachments": []})  # fmt: skip
    add_item(db, "AWS::EC2::Volume", "vol-used", {"volumeType": "gp3", "size": 8, "state": "in-use"})
    found = results(
        db,
        """SELECT resourceId, accountId, awsRegion, resourceType, configuration.volumeType, configuration.size,
    resourceCreationTime, tags, configuration.encrypted, configuration.availabilityZone, configuration.state.value
WHERE resourceType = 'AWS::EC2::Volume' AND configuration.state.value = 'available'""",
    )
    assert found == [
        {
            "resourceId": "vol-0174de9c962f6581c",
            "accountId": ACCOUNT,
            "awsRegion": "us-east-1",
            "resourceType": "AWS::EC2::Volume",
            "configuration": {
                "volumeType": "gp2",
                "size": 100.0,
                "encrypted": False,
                "availabilityZone": "us-west-2a",
                "state": {"value": "available"},
            },
            "resourceCreationTime": "2025-12-02T00:00:00.000Z",
            "tags": [],
        }
    ]


def test_example_relationship_queries(db):
    """examplerelationshipqueries.html: EIPs related to an instance; instances and ENIs related to a group."""
    add_item(db, "AWS::EC2::EIP", "eipalloc-1", {"instanceId": "i-abcd1234"},
             relationships=[{"resourceType": "AWS::EC2::Instance", "resourceId": "i-abcd1234", "relationshipName": "Is attached to Instance"}])  # fmt: skip
    add_item(db, "AWS::EC2::NetworkInterface", "eni-1", {},
             relationships=[{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-abcd1234", "relationshipName": "Is associated with SecurityGroup"}])  # fmt: skip
    add_item(db, "AWS::EC2::Instance", "i-abcd1234", {},
             relationships=[{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-abcd1234", "relationshipName": "Is associated with SecurityGroup"}])  # fmt: skip
    assert results(db, "SELECT resourceId WHERE resourceType = 'AWS::EC2::EIP' AND relationships.resourceId = 'i-abcd1234'") == [
        {"resourceId": "eipalloc-1"}
    ]
    assert results(
        db,
        "SELECT resourceId WHERE resourceType IN ('AWS::EC2::Instance', 'AWS::EC2::NetworkInterface') "
        "AND relationships.resourceId = 'sg-abcd1234'",
    ) == [{"resourceId": "i-abcd1234"}, {"resourceId": "eni-1"}]


def test_query_components_examples(db):
    """query-components.html: SELECT resourceId WHERE resourceType='AWS::EC2::Instance'."""
    assert results(db, "SELECT resourceId WHERE resourceType='AWS::EC2::Instance'") == [
        {"resourceId": "i-0"}, {"resourceId": "i-1"}, {"resourceId": "i-other"}
    ]  # fmt: skip


def test_array_conditions_match_any_element_independently(db):
    """querying-AWS-resources.html, Limitations: the configRuleList A/B example returns R."""
    add_item(db, "AWS::Config::ResourceCompliance", "R", {"configRuleList": [
        {"configRuleName": "A", "complianceType": "compliant"},
        {"configRuleName": "B", "complianceType": "non_compliant"},
    ]})  # fmt: skip
    assert results(
        db,
        "SELECT configuration WHERE configuration.configRuleList.complianceType = 'non_compliant' "
        "AND configuration.configRuleList.configRuleName = 'A'",
    ) == [{"configuration": {"configRuleList": [
        {"configRuleName": "A", "complianceType": "compliant"},
        {"configRuleName": "B", "complianceType": "non_compliant"},
    ]}}]  # fmt: skip


def _security_groups(db):
    def group(gid, *cidrs):
        add_item(db, "AWS::EC2::SecurityGroup", gid,
                 {"groupId": gid, "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": list(cidrs)}]},
                 availability_zone="Not Applicable")  # fmt: skip

    group("sg-exact", "10.0.0.0/24")
    group("sg-world", "0.0.0.0/0")
    group("sg-both", "10.0.0.0/24", "0.0.0.0/0")
    group("sg-host", "192.168.0.2/32")
    group("sg-wider", "192.168.0.0/16")


def test_cidr_equals_finds_ranges_containing_the_address(db):
    """querying-AWS-resources.html: "=" and BETWEEN search for any range that includes the IP."""
    _security_groups(db)
    found = results(db, "SELECT resourceId WHERE configuration.ipPermissions.ipRanges = '10.0.0.7'")
    assert [r["resourceId"] for r in found] == ["sg-both", "sg-exact", "sg-world"]


def test_cidr_exact_range_examples(db):
    """querying-AWS-resources.html: the two exact-range queries (10.0.0.0/24 and 192.168.0.2/32)."""
    _security_groups(db)
    found = results(
        db,
        """SELECT * WHERE resourceType = 'AWS::EC2::SecurityGroup'
  AND configuration.ipPermissions.ipRanges BETWEEN '10.0.0.0'
  AND '10.0.0.255'
  AND NOT configuration.ipPermissions.ipRanges < '10.0.0.0'
  AND NOT configuration.ipPermissions.ipRanges > '10.0.0.255'""",
    )
    assert [r["resourceId"] for r in found] == ["sg-exact"]
    found = results(
        db,
        """SELECT * WHERE resourceType = 'AWS::EC2::SecurityGroup'
  AND configuration.ipPermissions.ipRanges = '192.168.0.2'
  AND NOT configuration.ipPermissions.ipRanges > '192.168.0.2'
  AND NOT configuration.ipPermissions.ipRanges < '192.168.0.2'""",
    )
    assert [r["resourceId"] for r in found] == ["sg-host"]


def test_select_star_returns_top_level_scalars_only(db):
    """querying-AWS-resources.html: SELECT * returns accountId, awsRegion, arn, availabilityZone,
    configurationItemCaptureTime, resourceCreationTime, resourceId, resourceName, resourceType, version."""
    found = results(db, "SELECT * WHERE resourceId = 'i-0'")
    assert found == [
        {
            "accountId": ACCOUNT,
            "awsRegion": "us-east-1",
            "arn": f"arn:aws:test:us-east-1:{ACCOUNT}:i-0",
            "availabilityZone": "us-west-2c",
            "configurationItemCaptureTime": "2026-01-01T00:01:00.000Z",
            "resourceCreationTime": "2025-12-02T00:00:00.000Z",
            "resourceId": "i-0",
            "resourceType": "AWS::EC2::Instance",
            "version": "1.3",
        }
    ]


def test_schema_readme_examples(db):
    """awslabs/aws-config-resource-schema README: tags.tag is "key=value"; COUNT of tagged instances."""
    assert results(db, "SELECT resourceId WHERE resourceType='AWS::EC2::Instance' AND tags.tag='CostCenter=12345'") == [
        {"resourceId": "i-0"}, {"resourceId": "i-1"}
    ]  # fmt: skip
    assert results(
        db,
        "SELECT COUNT(resourceId) WHERE resourceType='AWS::EC2::Instance' AND availabilityZone='us-west-2a' "
        "AND configuration.imageId='ami-12345' AND tags.key='Stage'",
    ) == [{"COUNT(resourceId)": 1}]


def test_like_accepts_only_suffix_wildcards_after_three_characters(db):
    """querying-AWS-resources.html, Wildcard limitations (suffix only, at least three characters, "_" too)."""
    assert len(results(db, "SELECT resourceId WHERE resourceType LIKE 'AWS::EC2::%'")) == 3
    assert results(db, "SELECT resourceId WHERE configuration.instanceType LIKE 't2.micr_'") == [{"resourceId": "i-0"}]
    assert results(db, "SELECT resourceId WHERE resourceId LIKE 'abc_'") == []
    for pattern in ("ab%", "ab_", "%::EC2::Instance", "_::EC2::Instance", "AWS%::Instance"):
        invalid(db, f"SELECT resourceId WHERE resourceType LIKE '{pattern}'")
    assert "property keys" in invalid(db, "SELECT resourceId WHERE 'someKey%' LIKE 'someValue%'")


@pytest.mark.parametrize(
    "expression",
    [
        "SELECT resourceId FROM config_items",
        "SELECT resourceId AS id",
        "SELECT DISTINCT resourceType",
        "SELECT ALL resourceType",
        "SELECT resourceType, COUNT(*) GROUP BY resourceType HAVING COUNT(*) > 1",
        "SELECT resourceId JOIN x",
        "SELECT resourceId UNION SELECT arn",
        "SELECT resourceId WHERE",
        "SELECT arn WHERE tags.tag='component=test' resourceType='AWS::ECS::Service'",
        "UPDATE config_items SET x = 1",
        "SELECT resourceId WHERE resourceType = \"AWS::EC2::Instance\"",
        "SELECT resourceId WHERE resourceId = 'unterminated",
        "SELECT resourceId; SELECT arn",
    ],
)
def test_refused_keywords_and_syntax(db, expression):
    """querying-AWS-resources.html: no ALL, AS, DISTINCT, FROM, HAVING, JOIN or UNION; a malformed
    query answers InvalidExpressionException ("syntax error at line 1, column N", as AWS reports)."""
    assert invalid(db, expression).startswith("syntax error at line 1, column ")


def test_syntax_error_position(db):
    """The position names the offending token (0-based column; AWS's own numbering is not documented)."""
    message = invalid(db, "SELECT arn WHERE tags.tag='component=test' resourceType='AWS::ECS::Service'")
    assert message == "syntax error at line 1, column 43"
    assert invalid(db, "SELECT resourceId\nFROM x") == "syntax error at line 2, column 0"


@pytest.mark.parametrize(
    "expression",
    [
        "SELECT resourceId WHERE resourceName IS NULL",
        "SELECT resourceId WHERE resourceName IS NOT NULL",
        "SELECT resourceId WHERE resourceName = NULL",
    ],
)
def test_null_value_queries_are_refused(db, expression):
    """querying-AWS-resources.html: "NULL value queries are not supported"."""
    assert invalid(db, expression) == "NULL value queries are not supported"


def test_aggregation_limits(db):
    """querying-AWS-resources.html, Aggregation limitations."""
    assert "single argument" in invalid(db, "SELECT MAX(configuration.size, configuration.iops)")
    assert "single argument" in invalid(db, "SELECT SUM(*)")
    assert "other functions" in invalid(db, "SELECT SUM(COUNT(resourceId))")
    assert "up to three" in invalid(db, "SELECT COUNT(*) GROUP BY accountId, awsRegion, resourceType, availabilityZone")
    assert "only a single property" in invalid(
        db, "SELECT accountId, awsRegion, COUNT(*) GROUP BY accountId, awsRegion ORDER BY COUNT(*) DESC"
    )
    assert "Unsupported function" in invalid(db, "SELECT UPPER(resourceId)")
    assert len(results(db, "SELECT resourceType, awsRegion, accountId, COUNT(*) GROUP BY resourceType, awsRegion, accountId")) == 1


def test_aggregate_functions(db):
    """querying-AWS-resources.html: AVG, COUNT, MAX, MIN and SUM."""
    add_item(db, "AWS::EC2::Volume", "vol-a", {"size": 100, "volumeType": "gp2"})
    add_item(db, "AWS::EC2::Volume", "vol-b", {"size": 8, "volumeType": "gp3"})
    assert results(
        db,
        "SELECT SUM(configuration.size), AVG(configuration.size), MIN(configuration.size), "
        "MAX(configuration.volumeType), COUNT(configuration.size) WHERE resourceType = 'AWS::EC2::Volume'",
    ) == [
        {
            "SUM(configuration.size)": 108,
            "AVG(configuration.size)": 54.0,
            "MIN(configuration.size)": 8,
            "MAX(configuration.volumeType)": "gp3",
            "COUNT(configuration.size)": 2,
        }
    ]


def test_order_by_aggregate_is_not_paginated(db):
    """querying-AWS-resources.html: pagination except when ORDER BY has an aggregate function."""
    answer = select_resource_config(db, "SELECT resourceId, COUNT(*) GROUP BY resourceId ORDER BY COUNT(*) DESC", limit=1)
    assert len(answer["Results"]) == 1 and "NextToken" not in answer
    answer = select_resource_config(db, "SELECT resourceId, COUNT(*) GROUP BY resourceId ORDER BY resourceId DESC", limit=1)
    assert json.loads(answer["Results"][0]) == {"resourceId": "i-other", "COUNT(*)": 1}
    assert "NextToken" in answer


def test_order_by(db):
    """query-components.html: ORDER BY property [ASC | DESC], then the next property."""
    add_item(db, "AWS::EC2::Volume", "vol-a", {"size": 100})
    add_item(db, "AWS::EC2::Volume", "vol-b", {"size": 8})
    add_item(db, "AWS::EC2::Volume", "vol-c", {"size": 20})
    found = results(db, "SELECT resourceId WHERE resourceType = 'AWS::EC2::Volume' ORDER BY configuration.size DESC")
    assert [r["resourceId"] for r in found] == ["vol-a", "vol-c", "vol-b"]
    found = results(db, "SELECT resourceId, configuration.size WHERE resourceType = 'AWS::EC2::Volume' ORDER BY configuration.size")
    assert [r["configuration"]["size"] for r in found] == [8, 20, 100]


def test_pagination_and_tokens(db):
    """API_SelectResourceConfig.html: Limit 0..100 per page, NextToken, InvalidNextTokenException."""
    for n in range(5):
        add_item(db, "AWS::SNS::Topic", f"topic-{n}", {"TopicArn": f"arn:topic-{n}"})
    expression = "SELECT resourceId WHERE resourceType = 'AWS::SNS::Topic'"
    seen, token = [], None
    while True:
        page = select_resource_config(db, expression, limit=2, next_token=token)
        seen += [json.loads(r)["resourceId"] for r in page["Results"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert seen == [f"topic-{n}" for n in range(5)]
    with pytest.raises(AWSError) as caught:
        select_resource_config(db, expression, next_token="not-a-token")
    assert caught.value.code == "InvalidNextTokenException"
    first = select_resource_config(db, expression, limit=2)["NextToken"]
    with pytest.raises(AWSError) as caught:
        select_resource_config(db, "SELECT arn", next_token=first)
    assert caught.value.code == "InvalidNextTokenException"
    for limit in (-1, 101):
        with pytest.raises(AWSError) as caught:
            select_resource_config(db, expression, limit=limit)
        assert caught.value.code == "InvalidLimitException"
    assert len(select_resource_config(db, expression, limit=0)["Results"]) == 5


def test_expression_length_is_validated(db):
    """API_SelectResourceConfig.html: Expression length 1..4096."""
    invalid(db, "SELECT resourceId WHERE resourceId = '" + "x" * 4096 + "'", code="ValidationException")
    invalid(db, "", code="ValidationException")


def test_only_recorded_current_items_are_queried(db):
    """querying-AWS-resources.html: no ResourceNotRecorded items; the current state, not history."""
    add_item(db, "AWS::EC2::Volume", "vol-not-recorded", {"size": 1}, status="ResourceNotRecorded")
    add_item(db, "AWS::EC2::Volume", "vol-gone", {"size": 2}, state_id=1)
    add_item(db, "AWS::EC2::Volume", "vol-gone", {}, status="ResourceDeleted", state_id=2)
    add_item(db, "AWS::EC2::Volume", "vol-grown", {"size": 3}, state_id=1)
    add_item(db, "AWS::EC2::Volume", "vol-grown", {"size": 30}, state_id=2)
    found = results(db, "SELECT resourceId, configuration.size WHERE resourceType = 'AWS::EC2::Volume'")
    assert found == [{"resourceId": "vol-grown", "configuration": {"size": 30}}]


def test_only_searchable_properties_match(db):
    """aws-config-resource-schema: only listed properties are searchable; others never match."""
    add_item(db, "AWS::EC2::Instance", "i-tagged-in-config", {"tags": [{"key": "Team", "value": "red"}]}, tags={"Team": "red"})
    assert results(db, "SELECT resourceId WHERE configuration.tags.key = 'Team'") == []
    assert results(db, "SELECT resourceId WHERE tags.key = 'Team'") == [{"resourceId": "i-tagged-in-config"}]
    # A mismatched case names no property (querying-AWS-resources.html: casing must match).
    assert results(db, "SELECT resourceId WHERE resourcetype = 'AWS::EC2::Instance'") == []


def test_account_and_region_scope(db):
    """SelectResourceConfig answers for one account and Region; global IAM items are in every Region."""
    add_item(db, "AWS::EC2::Instance", "i-eu", {}, region="eu-west-1")
    add_item(db, "AWS::IAM::User", "AIDAUSER", {"userName": "alice"}, region="global")
    found = results(db, "SELECT resourceId WHERE resourceType IN ('AWS::EC2::Instance', 'AWS::IAM::User')", region="eu-west-1")
    assert found == [{"resourceId": "i-eu"}, {"resourceId": "AIDAUSER"}]
    assert results(db, "SELECT resourceId WHERE resourceId = 'i-0'", account_id="210987654321") == []
    # Recorded in us-east-1, an IAM user still reads awsRegion "global" (query-using-sql-editor-cli.html).
    add_item(db, "AWS::IAM::User", "AIDABOB", {"userName": "bob"}, region="us-east-1")
    assert results(db, "SELECT resourceId, awsRegion WHERE awsRegion = 'global'", region="us-east-1") == [
        {"resourceId": "AIDABOB", "awsRegion": "global"}, {"resourceId": "AIDAUSER", "awsRegion": "global"}
    ]


def test_translate_gives_runnable_duckdb_sql(db):
    """translate() is plain DuckDB SQL over config_items, with the values written in."""
    sql = translate("SELECT resourceId WHERE configuration.imageId = 'ami-12345' AND resourceId <> 'it''s'")
    assert "'ami-12345'" in sql and "'it''s'" in sql
    assert [json.loads(doc)["resourceId"] for (doc,) in db.execute(sql).fetchall()] == ["i-0", "i-1"]


def test_latest_items_view(db):
    """latest_items_sql(): one current, non-deleted item per resource, for the recorder's view."""
    add_item(db, "AWS::EC2::Volume", "vol-1", {"size": 1}, state_id=1)
    add_item(db, "AWS::EC2::Volume", "vol-1", {"size": 2}, state_id=2)
    add_item(db, "AWS::EC2::Volume", "vol-2", {"size": 1}, state_id=1)
    add_item(db, "AWS::EC2::Volume", "vol-2", {}, status="ResourceDeleted", state_id=2)
    db.execute(f"CREATE VIEW config_latest_items AS {latest_items_sql()}")
    rows = db.execute(
        "SELECT resource_id, configuration ->> '$.size' FROM config_latest_items WHERE resource_type = 'AWS::EC2::Volume'"
    ).fetchall()
    assert rows == [("vol-1", "2")]
