"""The workload model and the AWS/EC2 and AWS/EBS metrics it publishes.

Publishing rules: CloudWatch User Guide, "Amazon EC2 metrics and dimensions" (ec2-metricscollected:
Xen and Nitro basic monitoring, the 1:01–1:05 PM example), EC2 User Guide "List the available
CloudWatch metrics for your instances" and "Amazon CloudWatch metrics for Amazon EBS".
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from awslab import Lab
from awslab.world.workload import Workload, parse_workload_tag

os.environ["AWSLAB_STRICT"] = "1"

def new_lab(**kw) -> Lab:
    return Lab(**{"start": "2026-01-01T00:00:00Z", **kw})

AMI = "ami-0a1b2c3d4e5f60001"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def lab():
    fresh = new_lab(strict=True)
    yield fresh
    fresh.close()


def launch(lab, instance_type="m5.large", **kw):
    kw.setdefault("ImageId", AMI)
    return lab.client("ec2").run_instances(InstanceType=instance_type, MinCount=1, MaxCount=1, **kw)["Instances"][0]


def points(lab, metric, value, namespace="AWS/EC2", name="InstanceId"):
    """(timestamp, value, sample_count, sum, minimum, maximum, received_at) of one metric, in order."""
    dims = f'[{{"Name":"{name}","Value":"{value}"}}]'
    return lab.sql("SELECT timestamp, value, sample_count, sum, minimum, maximum, received_at FROM cloudwatch_datapoints "
                   "WHERE namespace = ? AND metric_name = ? AND dimensions = ? ORDER BY timestamp, received_at",
                   params=[namespace, metric, dims]).fetchall()


def statistics(lab, metric, iid, start, end, period, namespace="AWS/EC2", name="InstanceId"):
    cw = lab.client("cloudwatch")
    answer = cw.get_metric_statistics(Namespace=namespace, MetricName=metric, Dimensions=[{"Name": name, "Value": iid}],
                                      StartTime=start, EndTime=end, Period=period,
                                      Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
    return sorted(answer["Datapoints"], key=lambda d: d["Timestamp"])


def test_xen_basic_monitoring_publishes_at_the_end_of_each_interval(lab):
    """On Xen, the samples of a five-minute interval are published at its end as one datapoint
    stamped with the interval's start: SampleCount 1, Sum = Minimum = Maximum = Average."""
    iid = launch(lab, "t2.micro")["InstanceId"]
    lab.advance(minutes=4, seconds=59)
    assert points(lab, "CPUUtilization", iid) == []
    lab.advance(seconds=1)
    [(timestamp, value, count, total, low, high, received)] = points(lab, "CPUUtilization", iid)
    assert (timestamp, count, received) == (at(0), 1, at(5))
    assert value == total == low == high


def test_xen_datapoint_is_the_average_of_the_samples():
    """The Xen datapoint is the average of the minute samples a detailed-monitoring twin publishes."""
    def run(detailed: bool):
        lab = new_lab()
        iid = launch(lab, "t2.micro", Monitoring={"Enabled": detailed})["InstanceId"]
        lab.advance(minutes=10)
        found = points(lab, "CPUUtilization", iid)
        lab.close()
        return found
    basic, detailed = run(False), run(True)
    assert [p[0] for p in detailed] == [at(m) for m in range(1, 10)]
    second_interval = [p[1] for p in detailed if at(5) <= p[0] < at(10)]
    assert basic[1][1] == pytest.approx(sum(second_interval) / 5)


def test_nitro_basic_monitoring_is_a_rolling_statistic_set(lab):
    """On Nitro each sample joins the interval's datapoint as it is taken: SampleCount grows to 5,
    Minimum and Maximum are the extremes of the samples so far (the 1:01–1:05 PM table)."""
    iid = launch(lab)["InstanceId"]
    lab.advance(minutes=6)
    growing = []
    for minute in range(7, 11):
        lab.advance(minutes=1)
        [current] = [d for d in statistics(lab, "CPUUtilization", iid, at(5), at(10), 300) if d["Timestamp"] == at(5)]
        growing.append(current["SampleCount"])
    assert growing == [2, 3, 4, 5]
    samples = [p[1] for p in points(lab, "CPUUtilization", iid) if p[0] == at(5)]
    assert current["Average"] == pytest.approx(sum(samples) / 5)
    assert (current["Minimum"], current["Maximum"]) == (min(samples), max(samples))


def test_detailed_monitoring_publishes_every_minute_with_aggregates(lab):
    """Detailed monitoring: one-minute datapoints, plus the ImageId and InstanceType aggregates;
    NetworkPacketsIn stays at five-minute (basic) resolution."""
    iid = launch(lab, Monitoring={"Enabled": True})["InstanceId"]
    lab.advance(minutes=6)
    cpu = points(lab, "CPUUtilization", iid)
    assert [(p[0], p[6]) for p in cpu] == [(at(m), at(m + 1)) for m in range(1, 6)]
    assert len(points(lab, "CPUUtilization", AMI, name="ImageId")) == 5
    assert len(points(lab, "NetworkIn", "m5.large", name="InstanceType")) == 5
    assert {p[0] for p in points(lab, "NetworkPacketsIn", iid)} == {at(0), at(5)}
    basic = launch(lab)["InstanceId"]
    lab.advance(minutes=10)
    by_type = [p[0] for p in points(lab, "CPUUtilization", "m5.large", name="InstanceType")]
    assert len(by_type) == len(set(by_type)), "only the detailed instance feeds the InstanceType aggregate"
    assert {p[0] for p in points(lab, "CPUUtilization", basic)} == {at(5), at(10), at(15)}


def test_monitor_instances_switches_to_one_minute_data(lab):
    iid = launch(lab)["InstanceId"]
    lab.advance(minutes=10)
    lab.client("ec2").monitor_instances(InstanceIds=[iid])
    lab.advance(minutes=5)
    stamps = sorted({p[0] for p in points(lab, "CPUUtilization", iid)})
    assert stamps == [at(0), at(5)] + [at(m) for m in range(10, 15)]


def test_stopped_instances_publish_nothing(lab):
    """A stopped instance publishes no datapoints, so alarms on it see missing data."""
    ec2 = lab.client("ec2")
    iid = launch(lab, Monitoring={"Enabled": True})["InstanceId"]
    lab.advance(minutes=5)
    ec2.stop_instances(InstanceIds=[iid])
    lab.advance(minutes=30)
    ec2.start_instances(InstanceIds=[iid])
    lab.advance(minutes=5)
    stamps = [p[0] for p in points(lab, "CPUUtilization", iid)]
    assert stamps == [at(m) for m in range(1, 5)] + [at(m) for m in range(36, 40)]


def test_status_checks_and_incidents(lab):
    """Status checks are one-minute data from a few minutes after the instance starts running; an
    incident of kind "instance" fails StatusCheckFailed_Instance (and StatusCheckFailed) while it lasts."""
    iid = launch(lab)["InstanceId"]
    lab.service_for("ec2").set_workload(iid, "steady", incident_at="2026-01-01T00:10:00Z", incident_minutes=5,
                                        incident_kind="instance")
    lab.advance(minutes=20)
    failed = {p[0]: p[1] for p in points(lab, "StatusCheckFailed_Instance", iid)}
    assert min(failed) == at(3)
    assert [t for t, v in failed.items() if v == 1] == [at(m) for m in range(10, 15)]
    assert all(v == 0 for v in (p[1] for p in points(lab, "StatusCheckFailed_System", iid)))
    assert points(lab, "StatusCheckFailed", iid) and max(p[1] for p in points(lab, "StatusCheckFailed", iid)) == 1


def test_status_incident_shows_in_describe_instance_status(lab):
    ec2 = lab.client("ec2")
    iid = launch(lab)["InstanceId"]
    lab.service_for("ec2").set_workload(iid, incident_at="2026-01-01T00:10:00Z", incident_kind="system")
    lab.advance(minutes=12)
    status = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]
    assert (status["SystemStatus"]["Status"], status["InstanceStatus"]["Status"]) == ("impaired", "ok")


def test_cpu_incident_and_profiles(lab):
    """An incident of kind "cpu" pins CPU near 100 %; steady stays near its base; the daily cycle
    peaks in the afternoon; spiky has bursts above its base."""
    ec2 = lab.client("ec2")
    steady = launch(lab, Monitoring={"Enabled": True})["InstanceId"]
    lab.service_for("ec2").set_workload(steady, "steady", base=30, amplitude=5,
                                        incident_at=T0 + timedelta(minutes=30), incident_minutes=10)
    daily = launch(lab, Monitoring={"Enabled": True}, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "awslab:workload", "Value": "daily;base=10;amplitude=60"}]}])["InstanceId"]
    spiky = launch(lab, Monitoring={"Enabled": True})["InstanceId"]
    ec2.create_tags(Resources=[spiky], Tags=[{"Key": "awslab:workload", "Value": "spiky"}])
    lab.advance(hours=24)
    cpu = {p[0]: p[1] for p in points(lab, "CPUUtilization", steady)}
    assert all(95 <= cpu[at(m)] <= 100 for m in range(30, 40))
    assert all(25 <= v <= 35 for t, v in cpu.items() if not at(30) <= t < at(40))
    cycle = {p[0]: p[1] for p in points(lab, "CPUUtilization", daily)}
    assert cycle[at(14 * 60)] > 60 > 20 > cycle[at(2 * 60)]
    bursts = [p[1] for p in points(lab, "CPUUtilization", spiky)]
    assert min(bursts) < 20 and max(bursts) > 60 and sum(v > 50 for v in bursts) < len(bursts) / 4


def test_series_are_deterministic_and_independent_of_how_the_clock_moved():
    """One jump of an hour and four steps of a quarter of an hour publish the same datapoints."""
    def run(steps: int):
        lab = new_lab()
        launch(lab, "t2.micro")
        launch(lab, Monitoring={"Enabled": True})
        for _ in range(steps):
            lab.advance(minutes=60 / steps)
        found = lab.sql("SELECT namespace, metric_name, dimensions, timestamp, value, sample_count, received_at "
                        "FROM cloudwatch_datapoints ORDER BY ALL").fetchall()
        lab.close()
        return found
    assert run(1) == run(4)


def test_publishing_is_batched(lab):
    """The job hands CloudWatch one SQL batch per advance, not a call per datapoint."""
    facts = []
    lab.hub.subscribe("metric_data", facts.append)
    launch(lab)
    lab.advance(hours=2)
    assert len(facts) == 1 and "datapoints_sql" in facts[0]
    assert lab.sql("SELECT count(*) FROM cloudwatch_datapoints").fetchall()[0][0] > 1000
    assert lab.sql("SELECT count(*) FROM ec2_metric_batch").fetchall()[0][0] == 0


def test_auto_scaling_group_dimension(lab):
    asg = lab.service_client("ec2", "autoscaling.amazonaws.com")
    asg.run_instances(ImageId=AMI, InstanceType="t3.micro", MinCount=2, MaxCount=2, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "aws:autoscaling:groupName", "Value": "web"}]}])
    lab.advance(minutes=10)
    grouped = [d for d in statistics(lab, "CPUUtilization", "web", at(5), at(10), 300, name="AutoScalingGroupName")]
    assert grouped[0]["SampleCount"] == 10


def test_ebs_volume_metrics_and_the_fifteen_minute_average(lab):
    """AWS/EBS publishes five-minute datapoints per VolumeId while the volume is attached to a
    running instance; the average of VolumeReadOps over a 15-minute period is the mean of its
    three five-minute datapoints (CloudWatch concepts, statistics over a period)."""
    instance = launch(lab)
    volume = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    lab.advance(minutes=20)
    reads = points(lab, "VolumeReadOps", volume, "AWS/EBS", "VolumeId")
    assert [(p[0], p[6]) for p in reads] == [(at(m), at(m + 5)) for m in (0, 5, 10, 15)]
    [average] = statistics(lab, "VolumeReadOps", volume, at(5), at(20), 900, "AWS/EBS", "VolumeId")
    assert average["SampleCount"] == 3
    assert average["Average"] == pytest.approx(sum(p[1] for p in reads[1:]) / 3)
    for metric in ("VolumeWriteOps", "VolumeReadBytes", "VolumeWriteBytes", "VolumeQueueLength", "VolumeIdleTime"):
        assert len(points(lab, metric, volume, "AWS/EBS", "VolumeId")) == 4
    assert all(0 <= p[1] <= 300 for p in points(lab, "VolumeIdleTime", volume, "AWS/EBS", "VolumeId"))
    lab.client("ec2").stop_instances(InstanceIds=[instance["InstanceId"]])
    lab.advance(minutes=30)
    assert len(points(lab, "VolumeReadOps", volume, "AWS/EBS", "VolumeId")) == 4


def test_ebs_read_bytes_on_xen_count_operations(lab):
    """On Xen, VolumeReadBytes' SampleCount is the number of read operations in the period."""
    volume = launch(lab, "t2.micro")["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    lab.advance(minutes=10)
    ops = points(lab, "VolumeReadOps", volume, "AWS/EBS", "VolumeId")
    read_bytes = points(lab, "VolumeReadBytes", volume, "AWS/EBS", "VolumeId")
    assert [b[2] for b in read_bytes] == [o[1] for o in ops]
    assert all(b[1] is None and b[4] == b[5] == pytest.approx(b[3] / b[2]) for b in read_bytes)


def test_provisioned_iops_volumes_publish_every_minute(lab):
    ec2 = lab.client("ec2")
    iid = launch(lab, Placement={"AvailabilityZone": "us-east-1a"})["InstanceId"]
    lab.advance(minutes=1)
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="io1", Iops=500)["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=iid, Device="/dev/sdf")
    lab.advance(minutes=5)
    assert [p[0] for p in points(lab, "VolumeWriteOps", volume, "AWS/EBS", "VolumeId")] == [at(m) for m in range(1, 6)]


def test_a_reopened_lab_resumes_publishing(tmp_path):
    """The job's watermark is a table, so a lab reopened from its file carries on where it was."""
    path = tmp_path / "lab.duckdb"
    lab = new_lab(path=path)
    iid = launch(lab, Monitoring={"Enabled": True})["InstanceId"]
    lab.advance(minutes=10)
    lab.close()
    lab = new_lab(path=path)
    lab.advance(minutes=10)
    assert [p[0] for p in points(lab, "CPUUtilization", iid)] == [at(m) for m in range(1, 20)]
    lab.close()


def test_set_workload_checks_its_arguments(lab):
    iid = launch(lab)["InstanceId"]
    service = lab.service_for("ec2")
    with pytest.raises(ValueError):
        service.set_workload(iid, "chaotic")
    with pytest.raises(ValueError):
        service.set_workload(iid, incident_kind="meteor", incident_at=T0)
    with pytest.raises(LookupError):
        service.set_workload("i-0123456789abcdef0", "steady")


@pytest.mark.parametrize("text, expected", [
    ("spiky", Workload("spiky")),
    ("daily;base=30;amplitude=20", Workload("daily", 30.0, 20.0)),
    ("steady, incident_at=2026-01-01T02:00:00Z, incident_kind=system, incident_minutes=15",
     Workload("steady", incident_at=datetime(2026, 1, 1, 2, tzinfo=timezone.utc), incident_kind="system",
              incident_minutes=15)),
    ("nonsense;base=x", Workload()),
    ("", Workload()),
])
def test_workload_tags(text, expected):
    assert parse_workload_tag(text) == expected
