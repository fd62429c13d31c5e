"""The helpers of notebooks 40 and 41: the relationship graph, compliance over time, delivered files
and the self-checking exercises (which must accept the right answer and refuse wrong ones)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from awslab import Lab
from awslab.config import graph
from awslab.config.lessons import (compliance_at, compliance_timeline, custom_rule_exercise, file_summary,
                                   recorder_exercises, rules_exercises, start_recording)


@pytest.fixture
def world():
    """A recording lab with an instance and two volumes, one attached, after ten minutes."""
    lab = Lab(start="2026-03-02T09:00:00Z")
    start_recording(lab)
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12345678", InstanceType="t3.micro", MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    attached, loose = (ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"] for _ in range(2))
    lab.advance(minutes=1)
    ec2.attach_volume(VolumeId=attached, InstanceId=instance, Device="/dev/sdf")
    lab.advance(minutes=9)
    yield lab, instance, attached, loose
    lab.close()


def test_the_graph_holds_relationships_from_both_ends(world):
    lab, instance, attached, loose = world
    current = graph.resource_graph(lab)
    assert {("AWS::EC2::Instance", instance), ("AWS::EC2::Volume", attached), ("AWS::EC2::Volume", loose)} <= \
        set(current.nodes)
    names = {(e.source[1], e.target[1]): e.name for e in current.edges}
    assert names[(attached, instance)] == "Is attached to Instance"
    assert names[(instance, attached)] == "Is attached to Volume"
    near = dict(((t, i), name) for (t, i), name in current.neighbours(("AWS::EC2::Volume", attached)))
    assert near == {("AWS::EC2::Instance", instance): "Is attached to Instance"}
    assert current.neighbours(("AWS::EC2::Volume", loose)) == []


def test_the_graph_as_of_an_earlier_moment_and_after_a_deletion(world):
    lab, instance, attached, loose = world
    before_attaching = graph.resource_graph(lab, at=datetime(2026, 3, 2, 9, 0, 30, tzinfo=timezone.utc))
    assert not [e for e in before_attaching.edges if attached in (e.source[1], e.target[1])]
    lab.client("ec2").delete_volume(VolumeId=loose)
    lab.advance(minutes=1)
    assert ("AWS::EC2::Volume", loose) not in graph.resource_graph(lab).nodes
    assert graph.neighbours(lab, "AWS::EC2::Volume", attached) == [
        {"resourceType": "AWS::EC2::Instance", "resourceId": instance, "relationship": "Is attached to Instance"}]


def test_compliance_over_time_follows_the_latest_result_of_each_resource(world):
    lab, instance, attached, loose = world
    cfg, ec2 = lab.client("config"), lab.client("ec2")
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "enc", "Source": {"Owner": "AWS",
                                                                        "SourceIdentifier": "ENCRYPTED_VOLUMES"}})
    first = lab.now
    lab.advance(hours=1)
    ec2.attach_volume(VolumeId=loose, InstanceId=instance, Device="/dev/sdg")
    lab.advance(hours=1)
    ec2.detach_volume(VolumeId=attached)
    lab.advance(minutes=5)
    frame = compliance_timeline(lab, ["enc"])
    counts = [(row.time - first, row.NON_COMPLIANT) for row in frame.itertuples()]
    # the root volume and the attached data volume, then the second volume too, then one detached
    assert [c for _, c in counts][0] == 2 and max(c for _, c in counts) == 3 and counts[-1][1] == 2
    at_start = dict(((t, i), c) for t, i, c in compliance_at(lab, "enc", first))
    assert at_start[("AWS::EC2::Volume", loose)] == "NOT_APPLICABLE"
    assert at_start[("AWS::EC2::Volume", attached)] == "NON_COMPLIANT"
    now = dict(((t, i), c) for t, i, c in compliance_at(lab, "enc", lab.now))
    assert now[("AWS::EC2::Volume", attached)] == "NOT_APPLICABLE"
    assert now[("AWS::EC2::Volume", loose)] == "NON_COMPLIANT"


def test_file_summary_reads_aws_file_names(world):
    lab, *_ = world
    lab.client("config").deliver_config_snapshot(deliveryChannelName="default")
    lab.advance(hours=6)
    found = file_summary(lab, "config-history")
    history = [f for f in found if f[0] == "history"]
    assert ("history", "AWS::EC2::Volume", "Mon 02 06:00 → Mon 02 12:00", 4) in history  # 2 created, 2 changed
    snapshots = [f for f in found if f[0] == "snapshot"]
    assert len(snapshots) == 1 and snapshots[0][1:3] == ("(every type)", "Mon 02 09:10")


def test_recorder_exercises_accept_the_lab_answer_and_refuse_others(world, capsys):
    lab, instance, attached, loose = world
    ec2 = lab.client("ec2")
    lab.advance(days=1)
    ec2.stop_instances(InstanceIds=[instance])
    lab.advance(minutes=2)
    ec2.modify_instance_attribute(InstanceId=instance, InstanceType={"Value": "t3.large"})
    q1, q2, q3 = recorder_exercises(lab, attached, instance, datetime(2026, 3, 2, 12, tzinfo=timezone.utc))
    assert q1.check(2) is True  # ResourceDiscovered, then the attachment
    assert q2.check("t3.large") is False and q2.check("t3.micro") is True
    assert q3.check("SELECT resourceId FROM x") is False
    assert "InvalidExpressionException" in capsys.readouterr().out
    assert q3.check("SELECT resourceId WHERE resourceType = 'AWS::EC2::Volume'") is True  # none is encrypted
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=True)
    assert q3.check("SELECT resourceId WHERE resourceType = 'AWS::EC2::Volume'") is False
    assert q3.check("SELECT resourceId WHERE resourceType = 'AWS::EC2::Volume' AND "
                    "configuration.encrypted = false") is True


def _handler(lab, decide):
    def handler(event, context):
        item = json.loads(event["invokingEvent"])["configurationItem"]
        verdict = decide(item, json.loads(event["ruleParameters"]))
        if verdict:
            lab.client("config").put_evaluations(ResultToken=event["resultToken"], Evaluations=[{
                "ComplianceResourceType": item["resourceType"], "ComplianceResourceId": item["resourceId"],
                "ComplianceType": verdict, "OrderingTimestamp": item["configurationItemCaptureTime"]}])
    return handler


def test_the_custom_rule_exercise_runs_the_learners_handler(world, capsys):
    lab, *_ = world
    q = custom_rule_exercise(lab)
    assert q.check(_handler(lab, lambda item, params: None)) is False
    assert "reported nothing" in capsys.readouterr().out
    assert q.check(_handler(lab, lambda item, params: "COMPLIANT")) is False
    right = _handler(lab, lambda item, params: "COMPLIANT" if item["configuration"]["instanceType"] in
                     params["allowed"].split(",") else "NON_COMPLIANT")
    assert q.check(right) is True
    assert lab.client("config").describe_config_rules()["ConfigRules"] == []  # each attempt cleans up
    lab.advance(minutes=2)
    states = [i["State"]["Name"] for r in lab.client("ec2").describe_instances()["Reservations"]
              for i in r["Instances"]]
    assert states.count("terminated") == 6 and states.count("running") == 1


def test_rules_exercises_read_roll_up_and_remediation(world):
    lab, instance, *_ = world
    cfg, ec2 = lab.client("config"), lab.client("ec2")
    group = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["SecurityGroups"][0][
        "GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "owner", "InputParameters": '{"tag1Key": "Owner"}',
                                    "Scope": {"ComplianceResourceTypes": ["AWS::EC2::Instance"]},
                                    "Source": {"Owner": "AWS", "SourceIdentifier": "REQUIRED_TAGS"}})
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "ssh", "Source": {"Owner": "AWS",
                                                                        "SourceIdentifier": "INCOMING_SSH_DISABLED"}})
    q2, q3 = rules_exercises(lab, "owner", "ssh", group)
    assert q2.check("COMPLIANT") is False and q2.check("NON_COMPLIANT") is True
    assert q3.check("NON_COMPLIANT") is True  # no remediation yet: still open
