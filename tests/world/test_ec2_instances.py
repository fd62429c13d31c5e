"""EC2 instances: launching, the lifecycle on the lab clock, errors, CloudTrail and hub facts."""

from __future__ import annotations

import os
from datetime import timedelta

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


def launch(ec2, **kw):
    kw.setdefault("ImageId", AMI)
    kw.setdefault("InstanceType", "t3.micro")
    kw.setdefault("MinCount", 1)
    kw.setdefault("MaxCount", 1)
    return ec2.run_instances(**kw)


def state(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_run_instances_in_the_default_vpc(lab):
    """RunInstances without a subnet launches into a default subnet of the default VPC, pending
    (code 0), with the VPC's default security group, a public IP (default subnets map one) and an
    EBS root volume. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html"""
    ec2 = lab.client("ec2")
    reservation = launch(ec2, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
    instance = reservation["Instances"][0]
    assert reservation["ReservationId"].startswith("r-") and reservation["OwnerId"] == "123456789012"
    assert instance["State"] == {"Code": 0, "Name": "pending"}
    assert instance["StateReason"] == {"Code": "pending", "Message": "pending"}
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    assert instance["VpcId"] == default_vpc["VpcId"]
    assert [g["GroupName"] for g in instance["SecurityGroups"]] == ["default"]
    assert instance["PublicIpAddress"] and instance["PrivateIpAddress"].startswith("172.31.")
    assert instance["PrivateDnsName"] == f"ip-{instance['PrivateIpAddress'].replace('.', '-')}.ec2.internal"
    assert instance["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"
    assert instance["Monitoring"] == {"State": "disabled"}
    assert instance["Tags"] == [{"Key": "Name", "Value": "web"}]
    assert len(instance["InstanceId"]) == 19


def test_ids_are_deterministic():
    """The same calls in two labs give the same ids, so notebooks are reproducible."""
    ids = []
    for _ in range(2):
        lab = new_lab()
        ids.append(launch(lab.client("ec2"))["Instances"][0]["InstanceId"])
        lab.close()
    assert ids[0] == ids[1]


def test_lifecycle_follows_the_lab_clock(lab):
    """pending → running, stopping → stopped, pending → running, shutting-down → terminated, each
    transitional state lasting a while on the clock; stopping releases the public IPv4 address and
    starting assigns a new one. https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html"""
    ec2 = lab.client("ec2")
    instance = launch(ec2)["Instances"][0]
    iid, first_ip = instance["InstanceId"], instance["PublicIpAddress"]
    assert state(ec2, iid)["Name"] == "pending"
    lab.advance(seconds=29)
    assert state(ec2, iid)["Name"] == "pending"
    lab.advance(seconds=1)
    assert state(ec2, iid) == {"Code": 16, "Name": "running"}

    stop = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert stop["CurrentState"]["Name"] == "stopping" and stop["PreviousState"]["Name"] == "running"
    lab.advance(minutes=1)
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert described["State"] == {"Code": 80, "Name": "stopped"}
    assert "PublicIpAddress" not in described
    assert described["StateTransitionReason"] == "User initiated (2026-01-01 00:00:30 GMT)"
    assert described["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    again = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert again["CurrentState"]["Name"] == again["PreviousState"]["Name"] == "stopped"

    start = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    assert (start["PreviousState"]["Name"], start["CurrentState"]["Name"]) == ("stopped", "pending")
    lab.advance(minutes=1)
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert described["State"]["Name"] == "running" and described["PublicIpAddress"] != first_ip
    assert described["LaunchTime"] == lab.start + timedelta(seconds=90), "LaunchTime is the last start"

    terminate = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert (terminate["PreviousState"]["Name"], terminate["CurrentState"]) == ("running", {"Code": 32, "Name": "shutting-down"})
    lab.advance(minutes=1)
    assert state(ec2, iid) == {"Code": 48, "Name": "terminated"}
    again = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert again["CurrentState"]["Name"] == again["PreviousState"]["Name"] == "terminated"


def test_terminated_instances_stay_visible_for_about_an_hour(lab):
    """A terminated instance stays in DescribeInstances for about an hour, then its id is unknown."""
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[iid])
    lab.advance(minutes=50)
    assert state(ec2, iid)["Name"] == "terminated"
    lab.advance(minutes=15)
    assert ec2.describe_instances()["Reservations"] == []
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_instances(InstanceIds=[iid])
    assert error(excinfo) == ("InvalidInstanceID.NotFound", f"The instance ID '{iid}' does not exist")


def test_state_changes_are_published_on_the_hub(lab):
    """Each state change becomes an ``ec2_instance_state_changed`` fact at the instant it happens
    (what EventBridge turns into "EC2 Instance State-change Notification")."""
    seen = []
    lab.hub.subscribe("ec2_instance_state_changed", lambda f: seen.append((f["state"], f["previous_state"], f["time"])))
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    lab.advance(minutes=2)
    ec2.stop_instances(InstanceIds=[iid])
    lab.advance(minutes=3)
    t0 = lab.start
    assert seen == [("pending", None, t0), ("running", "pending", t0 + timedelta(seconds=30)),
                    ("stopping", "running", t0 + timedelta(minutes=2)),
                    ("stopped", "stopping", t0 + timedelta(minutes=3))]


def test_unknown_and_malformed_ids(lab):
    """AWS's messages: one id "The instance ID 'i-…' does not exist", several "The instance IDs
    'a, b' do not exist"; an id that is not i- plus 8 or 17 hex digits is malformed."""
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.stop_instances(InstanceIds=["i-0123456789abcdef0"])
    assert error(excinfo) == ("InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist")
    with pytest.raises(ClientError) as excinfo:
        ec2.terminate_instances(InstanceIds=["i-0123456789abcdef0", iid, "i-0fedcba9876543210"])
    assert error(excinfo) == ("InvalidInstanceID.NotFound",
                              "The instance IDs 'i-0123456789abcdef0, i-0fedcba9876543210' do not exist")
    assert state(ec2, iid)["Name"] == "pending", "a failed call changes nothing"
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_instances(InstanceIds=["i-123"])
    assert error(excinfo) == ("InvalidInstanceID.Malformed", 'Invalid id: "i-123"')


def test_incorrect_instance_state(lab):
    """A pending instance that never ran cannot be stopped; a terminated one cannot be started
    or stopped (IncorrectInstanceState, AWS's messages)."""
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.stop_instances(InstanceIds=[iid])
    assert error(excinfo) == ("IncorrectInstanceState",
                              f"Instance '{iid}' cannot be stopped as it has never reached the 'running' state.")
    ec2.terminate_instances(InstanceIds=[iid])
    with pytest.raises(ClientError) as excinfo:
        ec2.start_instances(InstanceIds=[iid])
    assert error(excinfo) == ("IncorrectInstanceState",
                              f"The instance '{iid}' is not in a state from which it can be started.")
    lab.advance(minutes=2)
    with pytest.raises(ClientError) as excinfo:
        ec2.stop_instances(InstanceIds=[iid])
    assert error(excinfo) == ("IncorrectInstanceState",
                              f"This instance '{iid}' is not in a state from which it can be stopped.")


def test_a_failing_call_changes_nothing(lab):
    """StopInstances naming a running and a pending instance fails as a whole."""
    ec2 = lab.client("ec2")
    running = launch(ec2)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    pending = launch(ec2)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError):
        ec2.stop_instances(InstanceIds=[running, pending])
    assert state(ec2, running)["Name"] == "running"


def test_bad_launch_parameters(lab):
    ec2 = lab.client("ec2")
    with pytest.raises(ClientError) as excinfo:
        launch(ec2, InstanceType="t3.enormous")
    assert error(excinfo) == ("InvalidParameterValue", "Invalid value 't3.enormous' for InstanceType.")
    with pytest.raises(ClientError) as excinfo:
        launch(ec2, ImageId="ami-xyz")
    assert error(excinfo)[0] == "InvalidAMIID.Malformed"
    with pytest.raises(ClientError) as excinfo:
        launch(ec2, SecurityGroupIds=["sg-0123456789abcdef0"])
    assert error(excinfo) == ("InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist")
    assert ec2.describe_instances()["Reservations"] == []


def test_any_ami_id_is_accepted_and_windows_images_say_so():
    """Instance.Platform is "windows" for Windows instances ("otherwise blank", API_Instance); the
    botocore model's enum spells it "Windows", so this test runs outside strict mode."""
    lab = new_lab(strict=False)
    ec2 = lab.client("ec2")
    assert launch(ec2, ImageId="ami-12345678")["Instances"][0]["ImageId"] == "ami-12345678"
    windows = launch(ec2, ImageId="ami-0a1b2c3d4e5f60005")["Instances"][0]
    assert windows["Platform"] == "windows" and windows["PlatformDetails"] == "Windows"
    assert windows["BlockDeviceMappings"][0]["DeviceName"] == "/dev/sda1"
    images = ec2.describe_images(Filters=[{"Name": "platform", "Values": ["windows"]}])["Images"]
    assert [i["ImageId"] for i in images] == ["ami-0a1b2c3d4e5f60005"]


def test_count_subnet_profile_and_monitoring(lab):
    """MaxCount instances share one reservation; SubnetId, IamInstanceProfile and Monitoring are kept."""
    ec2 = lab.client("ec2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": ["us-east-1c"]}])["Subnets"][0]
    reservation = launch(ec2, MinCount=2, MaxCount=3, SubnetId=subnet["SubnetId"], Monitoring={"Enabled": True},
                         IamInstanceProfile={"Name": "web-role"})
    assert [i["AmiLaunchIndex"] for i in reservation["Instances"]] == [0, 1, 2]
    for instance in reservation["Instances"]:
        assert instance["Placement"]["AvailabilityZone"] == "us-east-1c"
        assert instance["Monitoring"]["State"] == "enabled"
        assert instance["IamInstanceProfile"]["Arn"] == "arn:aws:iam::123456789012:instance-profile/web-role"
    assert len({i["PrivateIpAddress"] for i in reservation["Instances"]}) == 3


def test_monitor_and_unmonitor_instances(lab):
    """MonitorInstances answers "pending" and detailed monitoring is then "enabled"; Unmonitor
    answers "disabling". https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_MonitorInstances.html"""
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    answer = ec2.monitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert answer == [{"InstanceId": iid, "Monitoring": {"State": "pending"}}]
    lab.advance(minutes=1)
    instance = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert instance["Monitoring"]["State"] == "enabled"
    assert ec2.unmonitor_instances(InstanceIds=[iid])["InstanceMonitorings"][0]["Monitoring"]["State"] == "disabling"
    filtered = ec2.describe_instances(Filters=[{"Name": "monitoring-state", "Values": ["disabled"]}])
    assert [i["InstanceId"] for r in filtered["Reservations"] for i in r["Instances"]] == [iid]


def test_dry_run(lab):
    """DryRun answers DryRunOperation and does nothing (EC2 common errors)."""
    ec2 = lab.client("ec2")
    with pytest.raises(ClientError) as excinfo:
        launch(ec2, DryRun=True)
    assert error(excinfo) == ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
    assert ec2.describe_instances()["Reservations"] == []


def test_reboot_keeps_the_instance_running(lab):
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    ec2.reboot_instances(InstanceIds=[iid])
    assert state(ec2, iid)["Name"] == "running"


def test_filters_and_tags(lab):
    """Filters: instance-state-name, tag:Key, tag-key and wildcards (Using_Filtering)."""
    ec2 = lab.client("ec2")
    web = launch(ec2, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}])
    db = launch(ec2)
    ec2.create_tags(Resources=[db["Instances"][0]["InstanceId"]], Tags=[{"Key": "Name", "Value": "db-1"}])
    lab.advance(minutes=1)
    ec2.stop_instances(InstanceIds=[db["Instances"][0]["InstanceId"]])

    def ids(filters):
        return [i["InstanceId"] for r in ec2.describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]]
    assert ids([{"Name": "tag:Name", "Values": ["web-*"]}]) == [web["Instances"][0]["InstanceId"]]
    assert ids([{"Name": "instance-state-name", "Values": ["stopping", "stopped"]}]) == [db["Instances"][0]["InstanceId"]]
    assert len(ids([{"Name": "tag-key", "Values": ["Name"]}])) == 2
    with pytest.raises(ClientError) as excinfo:
        ids([{"Name": "no-such-filter", "Values": ["x"]}])
    assert error(excinfo) == ("InvalidParameterValue", "The filter 'no-such-filter' is invalid")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_tags(Resources=[web["Instances"][0]["InstanceId"]], Tags=[{"Key": "aws:owner", "Value": "x"}])
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        ec2.create_tags(Resources=["i-08c333804c6bef15d"], Tags=[{"Key": "Name", "Value": "x"}])
    assert error(excinfo) == ("InvalidInstanceID.NotFound", "The instance ID 'i-08c333804c6bef15d' does not exist")


def test_cloudtrail_records_ec2_calls(lab):
    """Every call is a CloudTrail event from ec2.amazonaws.com: Describe* read-only, the rest writes,
    all management events; sender errors carry EC2's "Client." prefix."""
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    ec2.describe_instances()
    with pytest.raises(ClientError):
        ec2.start_instances(InstanceIds=["i-0123456789abcdef0"])
    rows = lab.sql("SELECT event_name, event_source, read_only, management_event, error_code FROM cloudtrail_events "
                   "WHERE event_source = 'ec2.amazonaws.com' ORDER BY event_time, event_name").fetchall()
    assert ("RunInstances", "ec2.amazonaws.com", False, True, None) in rows
    assert ("DescribeInstances", "ec2.amazonaws.com", True, True, None) in rows
    assert ("StartInstances", "ec2.amazonaws.com", False, True, "Client.InvalidInstanceID.NotFound") in rows
    response = lab.sql("SELECT response_elements FROM cloudtrail_events WHERE event_name = 'RunInstances'").fetchall()[0][0]
    assert iid in response


def test_auto_scaling_launches_as_its_service_principal(lab):
    """Auto Scaling calls RunInstances through the lab as autoscaling.amazonaws.com (DESIGN.md,
    principle 5); the reservation names the requester and CloudTrail the invoking service."""
    ec2 = lab.service_client("ec2", "autoscaling.amazonaws.com")
    reservation = launch(ec2, TagSpecifications=[{"ResourceType": "instance", "Tags": [
        {"Key": "aws:autoscaling:groupName", "Value": "web-asg"}]}])
    assert reservation["RequesterId"] == "autoscaling.amazonaws.com"
    assert reservation["Instances"][0]["Tags"] == [{"Key": "aws:autoscaling:groupName", "Value": "web-asg"}]
    actor = lab.sql("SELECT invoked_by FROM cloudtrail_events WHERE event_name = 'RunInstances'").fetchall()[0][0]
    assert actor == "autoscaling.amazonaws.com"
    ec2.terminate_instances(InstanceIds=[reservation["Instances"][0]["InstanceId"]])


def test_describe_instance_status(lab):
    """Status checks initialise for a few minutes after the instance starts running, then pass."""
    ec2 = lab.client("ec2")
    iid = launch(ec2)["Instances"][0]["InstanceId"]
    assert ec2.describe_instance_status()["InstanceStatuses"] == []
    everything = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"][0]
    assert everything["InstanceState"]["Name"] == "pending"
    lab.advance(minutes=1)
    assert ec2.describe_instance_status()["InstanceStatuses"][0]["InstanceStatus"]["Status"] == "initializing"
    lab.advance(minutes=3)
    status = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]
    assert status["InstanceStatus"]["Status"] == status["SystemStatus"]["Status"] == "ok"


def test_changing_the_instance_type_needs_a_stopped_instance(lab):
    """https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/change-instance-type-of-ebs-backed-instance.html"""
    ec2 = lab.client("ec2")
    instance = launch(ec2)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    with pytest.raises(ClientError) as running:
        ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": "t3.large"})
    error = running.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "IncorrectInstanceState", f"The instance '{instance}' is not in the 'stopped' state.")
    ec2.stop_instances(InstanceIds=[instance])
    lab.advance(minutes=2)
    with pytest.raises(ClientError) as unknown:
        ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": "t3.gigantic"})
    assert unknown.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as arm:
        ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": "t4g.large"})
    assert arm.value.response["Error"]["Code"] == "InvalidParameterValue"
    facts = []
    lab.hub.subscribe("resource_changed", facts.append)
    ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": "t3.large"})
    described = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]
    assert described["InstanceType"] == "t3.large"
    assert [f["configuration"]["instanceType"] for f in facts if f["resource_id"] == instance] == ["t3.large"]
