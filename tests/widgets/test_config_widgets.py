"""The AWS Config pictures and widgets of notebooks 40 and 41, driven through their controls."""

from __future__ import annotations

from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from awslab import Lab  # noqa: E402
from awslab.config.lessons import start_recording  # noqa: E402
from awslab.widgets.config import compliance_over_time, plot_relationships, point_in_time  # noqa: E402


@pytest.fixture
def lab():
    fresh = Lab(start="2026-03-02T09:00:00Z")
    start_recording(fresh)
    yield fresh
    fresh.close()
    plt.close("all")


def test_relationships_picture_marks_the_focus_and_its_neighbours(lab):
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    types = ["AWS::EC2::Instance", "AWS::EC2::Volume", "AWS::EC2::NetworkInterface"]
    ax = plot_relationships(lab, focus=("AWS::EC2::Instance", instance), types=types)
    colours = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    red, orange = matplotlib.colors.to_rgb("tab:red"), matplotlib.colors.to_rgb("tab:orange")
    assert colours.count(red) == 1 and colours.count(orange) == 2  # the root volume and the interface
    assert len(ax.lines) == 2  # each relationship drawn once, though recorded from both ends
    assert "2 resources" in ax.get_title()


def test_point_in_time_answers_with_the_item_current_then(lab):
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12345678", InstanceType="t3.micro", MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(hours=2)
    ec2.stop_instances(InstanceIds=[instance])
    lab.advance(minutes=2)
    ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": "t3.large"})
    start = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    box, model = point_in_time(lab, [("AWS::EC2::Instance", instance)], start, lab.now)
    assert "the same as now" in model.summary()
    box.slider.value = 1
    assert model.at == datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
    assert model.differences()["instanceType"] == ("t3.micro", "t3.large")
    assert model.differences()["state"] == ({"code": 16, "name": "running"}, {"code": 80, "name": "stopped"})
    assert "captured Mon 2026-03-02 09:00 (OK)" in model.summary()


def test_compliance_slider_lists_each_resource_as_it_was(lab):
    cfg, ec2 = lab.client("config"), lab.client("ec2")
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "enc", "Source": {"Owner": "AWS",
                                                                        "SourceIdentifier": "ENCRYPTED_VOLUMES"}})
    instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(hours=1)
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
    lab.advance(hours=1)
    box, model = compliance_over_time(lab, "enc")
    assert ("AWS::EC2::Volume", volume, "NON_COMPLIANT") in model.resources
    box.slider.value = box.slider.options[0][1]
    assert volume not in {r[1] for r in model.resources}
    assert list(model.timeline["NON_COMPLIANT"])[-1] == 2


def test_a_rule_without_results_says_so(lab):
    lab.client("config").put_config_rule(ConfigRule={"ConfigRuleName": "enc", "Source": {
        "Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}})
    box, model = compliance_over_time(lab, "enc")
    assert "no results yet" in box.value and model.timeline.empty
