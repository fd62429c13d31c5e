"""Auto Scaling groups keep their desired capacity on the lab clock; policies change it.

https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html
https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ExecutePolicy.html
"""

from __future__ import annotations

import botocore.exceptions
import pytest


@pytest.fixture
def group(lab):
    asg = lab.client("autoscaling")
    asg.create_launch_configuration(LaunchConfigurationName="web", ImageId="ami-0abcdef1234567890",
                                    InstanceType="t3.micro")
    asg.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="web", MinSize=1, MaxSize=5,
                                  DesiredCapacity=2, AvailabilityZones=["us-east-1a"])
    return "web"


def instances(lab, name="web"):
    return lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]


def test_group_launches_to_desired_capacity_on_the_clock(lab, group):
    assert instances(lab) == []
    lab.advance(minutes=1)
    launched = instances(lab)
    assert len(launched) == 2 and {i["LifecycleState"] for i in launched} == {"Pending"}
    lab.advance(minutes=3)
    assert {i["LifecycleState"] for i in instances(lab)} == {"InService"}
    ec2_ids = {i["InstanceId"] for r in lab.client("ec2").describe_instances()["Reservations"] for i in r["Instances"]}
    assert {i["InstanceId"] for i in launched} <= ec2_ids
    callers = lab.sql("select distinct invoked_by from cloudtrail_events where event_name = 'RunInstances'").fetchall()
    assert callers == [("autoscaling.amazonaws.com",)]
    activities = lab.client("autoscaling").describe_scaling_activities(AutoScalingGroupName=group)["Activities"]
    assert len(activities) == 2 and all(a["Description"].startswith("Launching a new EC2 instance: i-") for a in activities)
    assert "a user request created an AutoScalingGroup changing the desired capacity from 0 to 2" in activities[0]["Cause"]


def test_simple_and_step_policies(lab, group):
    asg = lab.client("autoscaling")
    lab.advance(minutes=1)
    arn = asg.put_scaling_policy(AutoScalingGroupName=group, PolicyName="out", PolicyType="SimpleScaling",
                                 AdjustmentType="ChangeInCapacity", ScalingAdjustment=2)["PolicyARN"]
    assert arn.startswith("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:")
    asg.execute_policy(AutoScalingGroupName=group, PolicyName="out")
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"] == 4
    lab.advance(minutes=1)
    assert len(instances(lab)) == 4
    asg.put_scaling_policy(AutoScalingGroupName=group, PolicyName="steps", PolicyType="StepScaling",
                           AdjustmentType="ChangeInCapacity", StepAdjustments=[
                               {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": -1},
                               {"MetricIntervalLowerBound": 10, "ScalingAdjustment": -3}])
    asg.execute_policy(AutoScalingGroupName=group, PolicyName="steps", MetricValue=95, BreachThreshold=80)
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["DesiredCapacity"] == 1
    lab.advance(minutes=1)
    assert len(instances(lab)) == 1


def test_capacity_bounds_and_errors(lab, group):
    asg = lab.client("autoscaling")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        asg.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=9)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        asg.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="web", MinSize=1, MaxSize=2)
    assert raised.value.response["Error"]["Code"] == "AlreadyExists"
    lab.advance(minutes=1)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        asg.delete_auto_scaling_group(AutoScalingGroupName=group)
    assert raised.value.response["Error"]["Code"] == "ResourceInUse"
    asg.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_group_from_a_launch_template(lab):
    """https://docs.aws.amazon.com/autoscaling/ec2/userguide/create-asg-launch-template.html"""
    ec2, asg = lab.client("ec2"), lab.client("autoscaling")
    template = ec2.create_launch_template(LaunchTemplateName="web-template", LaunchTemplateData={
        "ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.small", "Monitoring": {"Enabled": True}})["LaunchTemplate"]
    assert template["LaunchTemplateId"].startswith("lt-") and template["LatestVersionNumber"] == 1
    asg.create_auto_scaling_group(AutoScalingGroupName="from-template", MinSize=1, MaxSize=3, DesiredCapacity=2,
                                  LaunchTemplate={"LaunchTemplateName": "web-template", "Version": "$Latest"},
                                  AvailabilityZones=["us-east-1a"])
    lab.advance(minutes=1)
    ids = [i["InstanceId"] for i in instances(lab, "from-template")]
    launched = lab.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    assert {i["InstanceType"] for r in launched for i in r["Instances"]} == {"t3.small"}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        asg.create_auto_scaling_group(AutoScalingGroupName="bad", MinSize=1, MaxSize=1,
                                      LaunchTemplate={"LaunchTemplateName": "missing-template"})
    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_run_instances_from_a_template_with_an_override(lab):
    ec2 = lab.client("ec2")
    ec2.create_launch_template(LaunchTemplateName="base", LaunchTemplateData={
        "ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro"})
    instance = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": "base"}, InstanceType="t3.large",
                                 MinCount=1, MaxCount=1)["Instances"][0]
    assert instance["InstanceType"] == "t3.large" and instance["ImageId"] == "ami-0abcdef1234567890"
    versions = ec2.describe_launch_template_versions(LaunchTemplateName="base")["LaunchTemplateVersions"]
    assert versions[0]["LaunchTemplateData"]["InstanceType"] == "t3.micro"
    ec2.delete_launch_template(LaunchTemplateName="base")
    with pytest.raises(botocore.exceptions.ClientError):
        ec2.describe_launch_templates(LaunchTemplateNames=["base"])
