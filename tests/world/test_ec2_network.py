"""VPCs, subnets, network interfaces and Elastic IP addresses."""

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

AMI = "ami-0a1b2c3d4e5f60001"


@pytest.fixture
def lab():
    fresh = new_lab(strict=True)
    yield fresh
    fresh.close()


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_default_vpc_has_a_default_subnet_per_zone(lab):
    """The default VPC is 172.31.0.0/16 with a /20 default subnet in each Availability Zone, public
    IPs mapped on launch. https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html"""
    ec2 = lab.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]
    assert (vpc["CidrBlock"], vpc["IsDefault"], vpc["State"]) == ("172.31.0.0/16", True, "available")
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert sorted(s["AvailabilityZone"] for s in subnets) == zones == [f"us-east-1{c}" for c in "abcdef"]
    assert {s["CidrBlock"] for s in subnets} == {f"172.31.{16 * i}.0/20" for i in range(6)}
    assert all(s["MapPublicIpOnLaunch"] and s["AvailableIpAddressCount"] == 4091 for s in subnets)
    other = lab.client("ec2", region_name="eu-west-1")
    assert other.describe_vpcs()["Vpcs"][0]["VpcId"] != vpc["VpcId"]
    assert len(other.describe_subnets()["Subnets"]) == 3


def test_create_vpc_and_subnets(lab):
    """CreateVpc answers "pending" and creates the VPC's default security group; subnets must fit
    in the VPC, be /16–/28 and not overlap; AWS keeps five addresses of each subnet."""
    ec2 = lab.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "lab"}]}])["Vpc"]
    assert vpc["State"] == "pending" and vpc["IsDefault"] is False
    vpc_id = vpc["VpcId"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]
    assert subnet["AvailableIpAddressCount"] == 251 and subnet["AvailabilityZone"] == "us-east-1b"
    assert subnet["MapPublicIpOnLaunch"] is False and subnet["DefaultForAz"] is False
    with pytest.raises(ClientError) as excinfo:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.128/25")
    assert error(excinfo) == ("InvalidSubnet.Conflict", "The CIDR '10.0.1.128/25' conflicts with another subnet")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24")
    assert error(excinfo) == ("InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid.")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/28", AvailabilityZone="us-east-1z")
    assert error(excinfo)[0] == "InvalidParameterValue"


@pytest.mark.parametrize("cidr, code", [
    ("10.0.0.0/8", "InvalidVpc.Range"), ("10.0.0.0/29", "InvalidVpc.Range"),
    ("10.0.0.1/16", "InvalidParameterValue"), ("10.0.0.0/33", "InvalidParameterValue"),
    ("banana", "InvalidParameterValue"), ("10.0.0.0", "InvalidParameterValue"),
])
def test_create_vpc_rejects_bad_blocks(lab, cidr, code):
    """A VPC block is a valid IPv4 network between /16 and /28 (VPC sizing)."""
    ec2 = lab.client("ec2")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_vpc(CidrBlock=cidr)
    assert excinfo.value.response["Error"]["Code"] == code
    if code == "InvalidParameterValue":
        assert error(excinfo)[1] == f"Value ({cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1


def test_delete_vpc_and_subnet_dependencies(lab):
    ec2 = lab.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 SubnetId=subnet_id)["Instances"][0]
    assert "PublicIpAddress" not in instance
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_subnet(SubnetId=subnet_id)
    assert error(excinfo) == ("DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_vpc(VpcId=vpc_id)
    assert error(excinfo)[0] == "DependencyViolation"
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    lab.advance(minutes=2)
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=vpc_id)
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    assert error(excinfo) == ("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")


def test_network_interfaces(lab):
    """An instance's primary interface is in-use with an attachment; a created interface is available
    and can be deleted; an attached one cannot."""
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    primary = instance["NetworkInterfaces"][0]
    assert primary["Status"] == "in-use" and primary["Attachment"]["DeviceIndex"] == 0
    subnet_id = instance["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet_id, Description="spare")["NetworkInterface"]
    assert eni["Status"] == "available" and eni["Description"] == "spare"
    assert [g["GroupName"] for g in eni["Groups"]] == ["default"]
    found = ec2.describe_network_interfaces(Filters=[{"Name": "status", "Values": ["in-use"]}])["NetworkInterfaces"]
    assert [e["NetworkInterfaceId"] for e in found] == [primary["NetworkInterfaceId"]]
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_network_interface(NetworkInterfaceId=primary["NetworkInterfaceId"])
    assert excinfo.value.response["Error"]["Code"] == "InvalidNetworkInterface.InUse"
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])
    assert error(excinfo) == ("InvalidNetworkInterfaceID.NotFound",
                              f"The networkInterface ID '{eni['NetworkInterfaceId']}' does not exist")


def test_terminating_an_instance_deletes_its_primary_interface(lab):
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    eni_id = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    assert ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    lab.advance(minutes=2)
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_elastic_ips(lab):
    """Allocate, associate (replacing the instance's public IP), disassociate, release; an associated
    address cannot be released. https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html"""
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    iid = instance["InstanceId"]
    address = ec2.allocate_address(Domain="vpc")
    assert address["AllocationId"].startswith("eipalloc-") and address["Domain"] == "vpc"
    with pytest.raises(ClientError) as excinfo:
        ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=iid)
    assert excinfo.value.response["Error"]["Code"] == "IncorrectInstanceState"
    lab.advance(minutes=1)
    association = ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=iid)["AssociationId"]
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert described["PublicIpAddress"] == address["PublicIp"]
    listed = ec2.describe_addresses(AllocationIds=[address["AllocationId"]])["Addresses"][0]
    assert (listed["InstanceId"], listed["AssociationId"]) == (iid, association)
    with pytest.raises(ClientError) as excinfo:
        ec2.release_address(AllocationId=address["AllocationId"])
    assert error(excinfo) == ("InvalidIPAddress.InUse", "Address is in use.")
    ec2.disassociate_address(AssociationId=association)
    assert "InstanceId" not in ec2.describe_addresses()["Addresses"][0]
    ec2.release_address(AllocationId=address["AllocationId"])
    assert ec2.describe_addresses()["Addresses"] == []
    with pytest.raises(ClientError) as excinfo:
        ec2.release_address(AllocationId=address["AllocationId"])
    assert error(excinfo) == ("InvalidAllocationID.NotFound",
                              f"The allocation ID '{address['AllocationId']}' does not exist")


def test_terminating_an_instance_disassociates_its_address(lab):
    ec2 = lab.client("ec2")
    iid = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    allocation = ec2.allocate_address()["AllocationId"]
    ec2.associate_address(AllocationId=allocation, InstanceId=iid)
    ec2.terminate_instances(InstanceIds=[iid])
    assert "AssociationId" not in ec2.describe_addresses()["Addresses"][0]
