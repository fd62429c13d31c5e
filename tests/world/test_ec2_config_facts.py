"""``resource_changed`` facts: what AWS Config records of EC2 resources.

Configuration items carry the resource's configuration in Config's shape (Describe keys in
lowerCamelCase; security groups with ``ipv4Ranges`` and the flat ``ipRanges`` list) and its
relationships ("Is attached to Instance", "Is contained in Vpc", "Contains NetworkInterface"…).
https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from awslab import Lab

os.environ["AWSLAB_STRICT"] = "1"

AMI = "ami-0a1b2c3d4e5f60001"


def new_lab(**kw) -> Lab:
    return Lab(**{"start": "2026-01-01T00:00:00Z", **kw})


@pytest.fixture
def lab():
    fresh = new_lab(strict=True)
    yield fresh
    fresh.close()


@pytest.fixture
def facts(lab):
    seen: list[dict] = []
    lab.hub.subscribe("resource_changed", seen.append)
    return seen


def of(facts, resource_type, resource_id=None):
    return [f for f in facts if f["resource_type"] == resource_type and resource_id in (None, f["resource_id"])]


def relations(fact):
    return {(r["relationshipName"], r["resourceId"]) for r in fact["relationships"]}


def test_launch_records_the_instance_and_what_it_touches(lab, facts):
    """RunInstances creates the instance, its network interface and root volume, and changes the
    security group, subnet and VPC (their relationships now include the instance)."""
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}]
                                 )["Instances"][0]
    iid, eni = instance["InstanceId"], instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    group = instance["SecurityGroups"][0]["GroupId"]
    [created] = of(facts, "AWS::EC2::Instance", iid)
    event_id = lab.sql("SELECT event_id FROM cloudtrail_events WHERE event_name = 'RunInstances'").fetchall()[0][0]
    assert (created["status"], created["event_id"], created["time"]) == ("created", event_id, lab.start)
    assert created["arn"] == f"arn:aws:ec2:us-east-1:123456789012:instance/{iid}"
    assert created["availability_zone"] == "us-east-1a" and created["tags"] == {"Name": "web"}
    configuration = created["configuration"]
    assert configuration["instanceId"] == iid and configuration["state"] == {"code": 0, "name": "pending"}
    assert configuration["instanceType"] == "t3.micro" and configuration["imageId"] == AMI
    assert configuration["securityGroups"] == [{"groupId": group, "groupName": "default"}]
    assert configuration["tags"] == [{"key": "Name", "value": "web"}]
    assert {("Is contained in Subnet", instance["SubnetId"]), ("Is contained in Vpc", instance["VpcId"]),
            ("Is associated with SecurityGroup", group), ("Contains NetworkInterface", eni),
            ("Is attached to Volume", volume)} == relations(created)
    assert relations(of(facts, "AWS::EC2::Volume", volume)[0]) == {("Is attached to Instance", iid)}
    assert ("Is attached to Instance", iid) in relations(of(facts, "AWS::EC2::NetworkInterface", eni)[0])
    assert ("Is associated with Instance", iid) in relations(of(facts, "AWS::EC2::SecurityGroup", group)[-1])
    assert ("Contains Instance", iid) in relations(of(facts, "AWS::EC2::VPC", instance["VpcId"])[-1])


def test_state_changes_reach_config_when_the_clock_does(lab, facts):
    """The running state is recorded when the instance gets there, with no CloudTrail event behind it;
    termination ends with the instance, its interface and root volume deleted."""
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    iid = instance["InstanceId"]
    lab.advance(minutes=1)
    running = of(facts, "AWS::EC2::Instance", iid)[-1]
    assert running["configuration"]["state"]["name"] == "running"
    assert (running["event_id"], running["time"]) == (None, lab.start + timedelta(seconds=30))
    ec2.terminate_instances(InstanceIds=[iid])
    lab.advance(minutes=2)
    last = of(facts, "AWS::EC2::Instance", iid)[-1]
    assert last["status"] == "deleted" and last["configuration"]["state"]["name"] == "terminated"
    assert last["time"] == lab.start + timedelta(minutes=2)
    volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    assert of(facts, "AWS::EC2::Volume", volume)[-1]["status"] == "deleted"
    eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert of(facts, "AWS::EC2::NetworkInterface", eni)[-1]["status"] == "deleted"


def test_security_group_configuration_shape(lab, facts):
    """Config's security group: ipPermissions with ipv4Ranges [{cidrIp, description}], the flat
    ipRanges list, ipv6Ranges, userIdGroupPairs; availabilityZone "Not Applicable"; the group name
    as resourceName (real configuration items, e.g. the Config developer guide's SG examples)."""
    ec2 = lab.client("ec2")
    gid = ec2.create_security_group(GroupName="web", Description="web servers")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    fact = of(facts, "AWS::EC2::SecurityGroup", gid)[-1]
    assert (fact["status"], fact["resource_name"], fact["availability_zone"]) == ("updated", "web", "Not Applicable")
    assert fact["configuration"]["ipPermissions"] == [{
        "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "userIdGroupPairs": [], "ipv6Ranges": [{"cidrIpv6": "::/0"}],
        "prefixListIds": [], "ipv4Ranges": [{"cidrIp": "0.0.0.0/0", "description": "ssh"}], "ipRanges": ["0.0.0.0/0"]}]
    assert fact["configuration"]["groupName"] == "web" and fact["configuration"]["tags"] == []
    assert relations(fact) == {("Is contained in Vpc", fact["configuration"]["vpcId"])}
    ec2.delete_security_group(GroupId=gid)
    deleted = of(facts, "AWS::EC2::SecurityGroup", gid)[-1]
    assert deleted["status"] == "deleted" and deleted["relationships"] == []


def test_volume_attachment_and_elastic_ip(lab, facts):
    ec2 = lab.client("ec2")
    iid = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    vid = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, Encrypted=True)["VolumeId"]
    created = of(facts, "AWS::EC2::Volume", vid)[0]
    assert created["configuration"]["encrypted"] is True and created["configuration"]["size"] == 10
    ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    attached = of(facts, "AWS::EC2::Volume", vid)[-1]
    assert attached["configuration"]["state"] == "in-use"
    assert relations(attached) == {("Is attached to Instance", iid)}
    assert ("Is attached to Volume", vid) in relations(of(facts, "AWS::EC2::Instance", iid)[-1])
    allocation = ec2.allocate_address()["AllocationId"]
    ec2.associate_address(AllocationId=allocation, InstanceId=iid)
    eip = of(facts, "AWS::EC2::EIP", allocation)[-1]
    assert ("Is attached to Instance", iid) in relations(eip)
    assert ("Is attached to ElasticIp", allocation) in relations(of(facts, "AWS::EC2::Instance", iid)[-1])


def test_failed_calls_publish_nothing(lab, facts):
    ec2 = lab.client("ec2")
    with pytest.raises(Exception):
        ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                          SecurityGroupIds=["sg-0123456789abcdef0"])
    assert facts == []


def test_existing_resources_for_a_recorder_that_starts_late(lab):
    """``resource_facts`` lists what exists (the default VPC, its subnets and group, instances…)
    as "created" facts, for a Config recorder that discovers resources when it starts."""
    ec2 = lab.client("ec2")
    iid = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    found = lab.service_for("ec2").resource_facts()
    kinds = [f["resource_type"] for f in found]
    assert kinds.count("AWS::EC2::Subnet") == 6 and kinds.count("AWS::EC2::VPC") == 1
    assert iid in [f["resource_id"] for f in found if f["resource_type"] == "AWS::EC2::Instance"]
    assert all(f["status"] == "created" and f["region"] == "us-east-1" for f in found)
