"""Every EC2 parser meets arbitrary input with AWS's error, never another exception.

Parsers: CIDR blocks (rules, VPCs, subnets), resource ids, protocols and port ranges, Describe
filters, the ``awslab:workload`` tag; and the same through the API.
"""

from __future__ import annotations

import ipaddress
import os

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab import Lab
from awslab.errors import AWSError
from awslab.world.ec2_common import apply_filters, block_cidr, check_ids, rule_cidr
from awslab.world.ec2_sg_rules import port_range, protocol_of
from awslab.world.workload import PROFILES, parse_workload_tag

os.environ["AWSLAB_STRICT"] = "1"

FUZZ = settings(max_examples=40, deadline=None)
FUZZ_API = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

cidr_like = st.one_of(
    st.text(max_size=30),
    st.builds(lambda a, b, c, d, n: f"{a}.{b}.{c}.{d}/{n}", *[st.integers(-5, 300)] * 4, st.integers(-3, 140)),
    st.builds(lambda a, n: f"{a}::/{n}", st.sampled_from(["", "2001:db8", "fe80", "zz"]), st.integers(-3, 140)),
)


def new_lab(**kw) -> Lab:
    return Lab(**{"start": "2026-01-01T00:00:00Z", **kw})


@pytest.fixture(scope="module")
def lab():
    fresh = new_lab(strict=True)
    yield fresh
    fresh.close()


@FUZZ
@given(cidr_like, st.sampled_from([4, 6]))
def test_rule_cidrs(text, version):
    try:
        normalised = rule_cidr(text, version)
    except AWSError as error:
        assert error.code == "InvalidParameterValue" and error.message == f"CIDR block {text} is malformed"
    else:
        assert ipaddress.ip_network(normalised).version == version


@FUZZ
@given(cidr_like)
def test_block_cidrs(text):
    try:
        network = block_cidr(text)
    except AWSError as error:
        assert error.code == "InvalidParameterValue" and "for parameter cidrBlock is invalid" in error.message
    else:
        assert str(network) == text


@FUZZ
@given(st.lists(st.text(max_size=25), max_size=3), st.sampled_from(["i", "vol", "sg", "vpc", "subnet", "eni", "ami"]))
def test_ids(ids, prefix):
    try:
        check_ids(ids, prefix)
    except AWSError as error:
        assert error.code.endswith(".Malformed") and error.message.startswith("Invalid id: ")
    else:
        assert all(i.startswith(prefix + "-") for i in ids)


@FUZZ
@given(st.one_of(st.text(max_size=8), st.integers(-5, 300)), st.one_of(st.none(), st.integers(-70000, 70000)),
       st.one_of(st.none(), st.integers(-70000, 70000)))
def test_protocols_and_ports(protocol, low, high):
    try:
        name = protocol_of(protocol)
        stored = port_range(name, low, high)
    except AWSError as error:
        assert error.code == "InvalidParameterValue"
    else:
        assert name in ("tcp", "udp", "icmp", "icmpv6", "-1") or 0 <= int(name) <= 255
        if name in ("tcp", "udp"):
            assert 0 <= stored[0] <= stored[1] <= 65535


@FUZZ
@given(st.lists(st.fixed_dictionaries({"Name": st.text(max_size=12), "Values": st.lists(st.text(max_size=6), max_size=3)}),
                max_size=3))
def test_filters(filters):
    items = [{"Id": "a", "Tags": [{"Key": "Name", "Value": "web"}]}]
    try:
        kept = apply_filters(items, filters, {"id": lambda i: [i["Id"]]})
    except AWSError as error:
        assert error.code == "InvalidParameterValue" and error.message.startswith("The filter '")
    else:
        assert kept in ([], items)


@FUZZ
@given(st.text(max_size=80))
def test_workload_tags_never_fail(text):
    assert parse_workload_tag(text).profile in PROFILES


@FUZZ_API
@given(protocol=st.sampled_from(["tcp", "udp", "icmp", "-1", "6", "all", "ssh", "300", "icmpv6"]),
       low=st.one_of(st.none(), st.integers(-2, 70000)), high=st.one_of(st.none(), st.integers(-2, 70000)),
       cidr=cidr_like)
def test_authorize_through_the_api(lab, protocol, low, high, cidr):
    """AuthorizeSecurityGroupIngress answers a rule or EC2's InvalidParameterValue, and a refused
    rule leaves the group as it was."""
    ec2 = lab.client("ec2")
    gid = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    permission = {"IpProtocol": protocol, "IpRanges": [{"CidrIp": cidr}]}
    if low is not None:
        permission["FromPort"] = low
    if high is not None:
        permission["ToPort"] = high
    before = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    try:
        rules = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[permission])["SecurityGroupRules"]
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("InvalidParameterValue", "InvalidPermission.Duplicate")
        assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"] == before
    else:
        ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in rules])


@FUZZ_API
@given(cidr=cidr_like)
def test_create_vpc_through_the_api(lab, cidr):
    ec2 = lab.client("ec2")
    try:
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("InvalidParameterValue", "InvalidVpc.Range")
    else:
        ec2.delete_vpc(VpcId=vpc["VpcId"])
