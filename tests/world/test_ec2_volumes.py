"""EBS volumes and encryption by default.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html
https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html
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

AMI = "ami-0a1b2c3d4e5f60001"


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


def running_instance(lab, ec2, zone="us-east-1a"):
    iid = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                            Placement={"AvailabilityZone": zone})["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    return iid


def volume(ec2, volume_id):
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def test_create_volume(ec2):
    """CreateVolume answers "creating"; the volume is then available; gp2 gets 3 IOPS per GiB (min
    100), gp3 a 3,000 IOPS / 125 MiB/s baseline."""
    created = ec2.create_volume(AvailabilityZone="us-east-1a", Size=20, VolumeType="gp2",
                                TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "app", "Value": "db"}]}])
    assert created["State"] == "creating" and created["Encrypted"] is False and created["Iops"] == 100
    described = volume(ec2, created["VolumeId"])
    assert (described["State"], described["Size"], described["Attachments"]) == ("available", 20, [])
    assert described["Tags"] == [{"Key": "app", "Value": "db"}]
    gp3 = ec2.create_volume(AvailabilityZone="us-east-1b", Size=100, VolumeType="gp3")
    assert (gp3["Iops"], gp3["Throughput"]) == (3000, 125)


def test_create_volume_errors(ec2):
    with pytest.raises(ClientError) as excinfo:
        ec2.create_volume(AvailabilityZone="us-east-1a")
    assert error(excinfo) == ("MissingParameter", "The request must contain the parameter size/snapshot")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=20000, VolumeType="gp2")
    assert error(excinfo) == ("InvalidParameterValue", "Volume of 20000GiB is too large; maximum is 16384GiB.")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, KmsKeyId="alias/mine")
    assert error(excinfo)[0] == "InvalidParameterDependency"
    with pytest.raises(ClientError) as excinfo:
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="io1")
    assert error(excinfo)[0] == "MissingParameter"
    with pytest.raises(ClientError) as excinfo:
        ec2.create_volume(AvailabilityZone="us-east-9a", Size=10)
    assert error(excinfo)[0] == "InvalidZone.NotFound"
    assert ec2.describe_volumes()["Volumes"] == []


def test_encryption_and_encryption_by_default(ec2):
    """Encrypted volumes use the given key or the default one; once encryption by default is on,
    every new volume, launch volumes included, is encrypted."""
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    mine = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True,
                             KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert mine["Encrypted"] and mine["KmsKeyId"].endswith("1234567890ab")
    assert ec2.enable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    plain = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    assert plain["Encrypted"] is True and plain["KmsKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    root = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    root_volume = root["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    assert volume(ec2, root_volume)["Encrypted"] is True
    assert ec2.disable_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["Encrypted"] is False


def test_attach_detach_delete(lab, ec2):
    """attaching → in-use; an attached volume cannot be deleted (VolumeInUse) or attached again;
    detaching → available; detaching an available volume is IncorrectState."""
    iid = running_instance(lab, ec2)
    vid = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    attached = ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    assert (attached["State"], attached["Device"], attached["InstanceId"]) == ("attaching", "/dev/sdf", iid)
    described = volume(ec2, vid)
    assert described["State"] == "in-use" and described["Attachments"][0]["State"] == "attached"
    devices = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["BlockDeviceMappings"]
    assert [d["DeviceName"] for d in devices] == ["/dev/xvda", "/dev/sdf"]
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_volume(VolumeId=vid)
    assert error(excinfo) == ("VolumeInUse", f"Volume {vid} is currently attached to {iid}")
    with pytest.raises(ClientError) as excinfo:
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdg")
    assert error(excinfo) == ("VolumeInUse", f"{vid} is already attached to an instance")
    other = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.attach_volume(VolumeId=other, InstanceId=iid, Device="/dev/sdf")
    assert error(excinfo)[0] == "InvalidParameterValue"
    assert ec2.detach_volume(VolumeId=vid)["State"] == "detaching"
    assert volume(ec2, vid)["State"] == "available"
    with pytest.raises(ClientError) as excinfo:
        ec2.detach_volume(VolumeId=vid)
    assert error(excinfo) == ("IncorrectState", f"Volume '{vid}' is in the 'available' state.")
    ec2.delete_volume(VolumeId=vid)
    with pytest.raises(ClientError) as excinfo:
        volume(ec2, vid)
    assert error(excinfo) == ("InvalidVolume.NotFound", f"The volume '{vid}' does not exist.")


def test_zone_mismatch_and_unknown_ids(lab, ec2):
    iid = running_instance(lab, ec2, zone="us-east-1a")
    vid = ec2.create_volume(AvailabilityZone="us-east-1b", Size=10)["VolumeId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
    assert error(excinfo) == ("InvalidVolume.ZoneMismatch",
                              f"The volume '{vid}' is not in the same availability zone as instance '{iid}'")
    with pytest.raises(ClientError) as excinfo:
        ec2.attach_volume(VolumeId="vol-0123456789abcdef0", InstanceId=iid, Device="/dev/sdf")
    assert error(excinfo) == ("InvalidVolume.NotFound", "The volume 'vol-0123456789abcdef0' does not exist.")
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_volumes(VolumeIds=["vol-malformedvolume"])
    assert error(excinfo) == ("InvalidVolumeID.Malformed", 'Invalid id: "vol-malformedvolume"')


def test_root_volume_goes_with_the_instance(lab, ec2):
    """DeleteOnTermination volumes are deleted when the instance is terminated; others become available."""
    instance = ec2.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3"}},
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 50, "DeleteOnTermination": False}},
    ])["Instances"][0]
    volumes = {d["DeviceName"]: d["Ebs"]["VolumeId"] for d in instance["BlockDeviceMappings"]}
    assert volume(ec2, volumes["/dev/xvda"])["Size"] == 30
    lab.advance(minutes=1)
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    assert volume(ec2, volumes["/dev/xvda"])["State"] == "in-use"
    lab.advance(minutes=2)
    remaining = ec2.describe_volumes()["Volumes"]
    assert [(v["VolumeId"], v["State"]) for v in remaining] == [(volumes["/dev/sdf"], "available")]


def test_root_volume_of_a_running_instance_cannot_be_detached(lab, ec2):
    iid = running_instance(lab, ec2)
    root = ec2.describe_instances()["Reservations"][0]["Instances"][0]["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.detach_volume(VolumeId=root)
    assert error(excinfo)[0] == "OperationNotPermitted"
    ec2.stop_instances(InstanceIds=[iid])
    lab.advance(minutes=2)
    ec2.detach_volume(VolumeId=root)
