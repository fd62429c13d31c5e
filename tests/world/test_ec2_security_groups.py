"""Security groups and their rules.

https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
"""

from __future__ import annotations

import os

import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import ClientError

from awslab import Lab

os.environ["AWSLAB_STRICT"] = "1"

def new_lab(**kw) -> Lab:
    return Lab(**{"start": "2026-01-01T00:00:00Z", **kw})


@pytest.fixture
def lab():
    fresh = new_lab(strict=True)
    yield fresh
    fresh.close()


@pytest.fixture
def ec2(lab):
    return lab.client("ec2")


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def group(ec2, group_id):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def test_default_group_allows_itself_in_and_everything_out(ec2):
    """A VPC's default group: inbound from itself, all outbound (default security groups page)."""
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    assert default["Description"] == "default VPC security group"
    assert default["IpPermissions"] == [{"IpProtocol": "-1", "UserIdGroupPairs": [
        {"UserId": "123456789012", "GroupId": default["GroupId"]}], "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": []}]
    assert default["IpPermissionsEgress"] == [{"IpProtocol": "-1", "UserIdGroupPairs": [],
                                               "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": []}]


def test_new_group_has_one_egress_rule(ec2):
    created = ec2.create_security_group(GroupName="web", Description="web servers")
    assert created["SecurityGroupArn"].endswith(f":security-group/{created['GroupId']}")
    described = group(ec2, created["GroupId"])
    assert described["IpPermissions"] == []
    assert described["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    with pytest.raises(ClientError) as excinfo:
        ec2.create_security_group(GroupName="web", Description="again")
    vpc = described["VpcId"]
    assert error(excinfo) == ("InvalidGroup.Duplicate", f"The security group 'web' already exists for VPC '{vpc}'")


def test_authorize_ipv4_ipv6_port_ranges_and_all_traffic(ec2):
    """Rules with the same protocol and ports are shown as one IpPermission; all traffic (-1) has
    no ports; protocol numbers 6/17 are shown as tcp/udp; host bits are cleared (10.0.0.28/29 →
    10.0.0.24/29)."""
    gid = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    answer = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "6", "FromPort": 8000, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.28/29"}]},
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "192.168.0.0/16"}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
    ])
    assert answer["Return"] is True and len(answer["SecurityGroupRules"]) == 5
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") and r["IsEgress"] is False for r in answer["SecurityGroupRules"])
    permissions = group(ec2, gid)["IpPermissions"]
    assert permissions[0] == {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [],
                              "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
                              "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "PrefixListIds": []}
    assert permissions[1]["IpProtocol"] == "tcp" and permissions[1]["IpRanges"] == [{"CidrIp": "10.0.0.24/29"}]
    assert "FromPort" not in permissions[2] and permissions[2]["IpProtocol"] == "-1"
    assert (permissions[3]["FromPort"], permissions[3]["ToPort"]) == (8, -1)
    found = ec2.describe_security_groups(Filters=[{"Name": "ip-permission.from-port", "Values": ["443"]}])
    assert [g["GroupId"] for g in found["SecurityGroups"]] == [gid]


def test_legacy_parameters_and_group_sources(ec2):
    gid = ec2.create_security_group(GroupName="db", Description="db")["GroupId"]
    web = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="203.0.113.0/24")
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    permissions = group(ec2, gid)["IpPermissions"]
    assert permissions[0]["IpRanges"] == [{"CidrIp": "203.0.113.0/24"}]
    assert permissions[1]["UserIdGroupPairs"] == [{"UserId": "123456789012", "GroupId": web}]


def test_duplicates(ec2):
    """Authorizing an existing rule: InvalidPermission.Duplicate with AWS's rule text; the same
    permission twice in one request: InvalidParameterValue."""
    gid = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[ssh])
    with pytest.raises(ClientError) as excinfo:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[ssh])
    assert error(excinfo) == ("InvalidPermission.Duplicate",
                              'the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists')
    with pytest.raises(ClientError) as excinfo:
        ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert error(excinfo) == ("InvalidPermission.Duplicate", 'the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists')
    web_2 = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "10.0.0.0/8"}]}
    with pytest.raises(ClientError) as excinfo:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[web_2])
    assert error(excinfo) == ("InvalidParameterValue", "The same permission must not appear multiple times")


@pytest.mark.parametrize("permission, message", [
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/33"}]},
     "CIDR block 10.0.0.0/33 is malformed"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "bogus"}]}, "CIDR block bogus is malformed"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/129"}]},
     "CIDR block 2001:db8::/129 is malformed"),
    ({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 70000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
     "TCP/UDP (to) port (70000) out of range"),
    ({"IpProtocol": "udp", "FromPort": -1, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
     "TCP/UDP (from) port (-1) out of range"),
    ({"IpProtocol": "all", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "Invalid value 'all' for IP protocol. Unknown protocol."),
    ({"IpProtocol": "256", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "Invalid value '256' for IP protocol. Unknown protocol."),
    ({"IpProtocol": "icmp", "FromPort": 256, "ToPort": 0, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "ICMP type (256) out of range"),
    ({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
     "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange."),
])
def test_bad_rules_are_refused_and_nothing_is_stored(ec2, permission, message):
    """EC2's InvalidParameterValue messages for malformed CIDRs, ports and protocols, as recorded
    from AWS in public issue threads (aws-cli#2846, #1066, terraform-provider-aws#1793)."""
    gid = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ok = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    with pytest.raises(ClientError) as excinfo:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[ok, permission])
    assert error(excinfo) == ("InvalidParameterValue", message)
    assert group(ec2, gid)["IpPermissions"] == []


def test_revoke(ec2):
    """Revoking a rule removes it; revoking one that does not exist is InvalidPermission.NotFound;
    rules can be revoked by id."""
    gid = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    rule_id = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        ssh, {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )["SecurityGroupRules"][1]["SecurityGroupRuleId"]
    assert ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[ssh])["Return"] is True
    with pytest.raises(ClientError) as excinfo:
        ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[ssh])
    assert error(excinfo) == ("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
    ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=[rule_id])
    assert group(ec2, gid)["IpPermissions"] == []
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert group(ec2, gid)["IpPermissionsEgress"] == []


def test_delete_security_group_dependencies(lab, ec2):
    """A group used by an instance, or referenced by another group's rule, cannot be deleted
    (DependencyViolation); the default group never can (CannotDelete)."""
    web = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="db")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_security_group(GroupId=web)
    assert error(excinfo) == ("DependencyViolation", f"resource {web} has a dependent object")
    ec2.revoke_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    iid = ec2.run_instances(ImageId="ami-0a1b2c3d4e5f60001", InstanceType="t3.micro", MinCount=1, MaxCount=1,
                            SecurityGroupIds=[web])["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_security_group(GroupId=web)
    assert error(excinfo)[0] == "DependencyViolation"
    ec2.terminate_instances(InstanceIds=[iid])
    lab.advance(minutes=2)
    deleted = ec2.delete_security_group(GroupId=web)
    assert (deleted["Return"], deleted["GroupId"]) == (True, web)
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_security_group(GroupId=default)
    assert error(excinfo) == ("CannotDelete", f'the specified group: "{default}" name: "default" cannot be deleted by a user')
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_security_groups(GroupIds=[web])
    assert error(excinfo) == ("InvalidGroup.NotFound", f"The security group '{web}' does not exist")


def test_names_and_lookups(ec2):
    with pytest.raises(ClientError) as excinfo:
        ec2.create_security_group(GroupName="sg-web", Description="x")
    assert error(excinfo) == ("InvalidParameterValue", "Group names may not be in the format sg-*")
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_security_groups(GroupNames=["nope"])
    assert error(excinfo)[0] == "InvalidGroup.NotFound"
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_security_groups(GroupIds=["sg-nope"])
    assert error(excinfo)[0] == "InvalidGroupId.Malformed"
