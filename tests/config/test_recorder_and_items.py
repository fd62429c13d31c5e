"""AWS Config's recorder, delivery channel, configuration items, history, retention and delivery.

https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigurationRecorder.html
https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html
https://docs.aws.amazon.com/config/latest/APIReference/API_GetResourceConfigHistory.html
https://docs.aws.amazon.com/config/latest/developerguide/delete-config-data-with-retention-period.html
"""

from __future__ import annotations

import gzip
import json
import re

import botocore.exceptions
import pytest

from awslab import Lab
from awslab.config import delivery


def code_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def bucket(lab, name="config-bucket"):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(delivery.bucket_policy(name, lab.account_id)))
    return name


def recording(lab, **group):
    cfg = lab.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::123456789012:role/c",
                                                          **({"recordingGroup": group} if group else {})})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket(lab)})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    return cfg


def security_group(lab):
    return lab.client("ec2").create_security_group(GroupName="web", Description="web servers")["GroupId"]


def test_one_recorder_per_region_and_start_needs_a_channel(lab):
    cfg = lab.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::123456789012:role/c"})
    assert code_of(lambda: cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "second", "roleARN": "arn:aws:iam::123456789012:role/c"})) == "MaxNumberOfConfigurationRecordersExceededException"
    assert code_of(lambda: cfg.start_configuration_recorder(ConfigurationRecorderName="default")) == \
        "NoAvailableDeliveryChannelException"
    assert code_of(lambda: cfg.start_configuration_recorder(ConfigurationRecorderName="other")) == \
        "NoSuchConfigurationRecorderException"
    status = cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]
    assert status["recording"] is False


def test_channel_needs_a_recorder_a_bucket_and_a_stopped_recorder_to_delete(lab):
    cfg = lab.client("config")
    assert code_of(lambda: cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "b"})) == \
        "NoAvailableConfigurationRecorderException"
    cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::123456789012:role/c"})
    assert code_of(lambda: cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "missing-bucket"})) \
        == "NoSuchBucketException"
    lab.client("s3").create_bucket(Bucket="closed-bucket")
    assert code_of(lambda: cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "closed-bucket"})) \
        == "InsufficientDeliveryPolicyException"
    assert cfg.describe_delivery_channels()["DeliveryChannels"] == []
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket(lab)})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    assert code_of(lambda: cfg.delete_delivery_channel(DeliveryChannelName="default")) == \
        "LastDeliveryChannelDeleteFailedException"
    cfg.stop_configuration_recorder(ConfigurationRecorderName="default")
    cfg.delete_delivery_channel(DeliveryChannelName="default")


@pytest.mark.parametrize("group", [
    {"allSupported": True, "resourceTypes": ["AWS::EC2::Volume"]},
    {"allSupported": False, "includeGlobalResourceTypes": True, "resourceTypes": ["AWS::EC2::Volume"]},
    {"allSupported": False},
])
def test_refused_recording_groups(lab, group):
    assert code_of(lambda: lab.client("config").put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/c", "recordingGroup": group})) == \
        "InvalidRecordingGroupException"


def test_items_statuses_relationships_and_related_events(lab):
    cfg = recording(lab)
    ec2 = lab.client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    instance = ec2.run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro", MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(minutes=5)
    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
    lab.advance(minutes=5)
    newest, first = cfg.get_resource_config_history(resourceType="AWS::EC2::Volume", resourceId=volume)["configurationItems"][:2]
    assert first["configurationItemStatus"] == "ResourceDiscovered" and newest["configurationItemStatus"] == "OK"
    assert newest["version"] == "1.3" and isinstance(newest["configuration"], str)
    assert {"relationshipName": "Is attached to Instance", "resourceType": "AWS::EC2::Instance",
            "resourceId": instance} in [{k: r[k] for k in ("relationshipName", "resourceType", "resourceId")}
                                        for r in newest["relationships"]]
    attach = lab.sql("select event_id from cloudtrail_events where event_name = 'AttachVolume'").fetchall()[0][0]
    assert newest["relatedEvents"] == [attach]
    ec2.terminate_instances(InstanceIds=[instance])
    lab.advance(minutes=10)
    deleted = cfg.get_resource_config_history(resourceType="AWS::EC2::Instance", resourceId=instance,
                                              limit=1)["configurationItems"][0]
    assert deleted["configurationItemStatus"] == "ResourceDeleted" and deleted["configuration"] == "null"
    listed = cfg.list_discovered_resources(resourceType="AWS::EC2::Instance", includeDeletedResources=True)
    assert listed["resourceIdentifiers"][0]["resourceDeletionTime"] == deleted["configurationItemCaptureTime"]
    assert cfg.list_discovered_resources(resourceType="AWS::EC2::Instance")["resourceIdentifiers"] == []


def test_changes_delivered_together_are_recorded_in_order(lab):
    """The facts of one call reach the recorder as one batch; a resource changed twice in it gets two items."""
    cfg = recording(lab)
    notified, messages = [], []
    lab.hub.subscribe("config_item_changed", lambda facts: notified.append(len(facts)), batch=True)
    lab.hub.subscribe("config_item_changed", lambda fact: messages.append(fact["message"]))
    ec2 = lab.client("ec2")
    instances = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro",
                                                            MinCount=3, MaxCount=3)["Instances"]]
    assert len(notified) == 1 and notified[0] >= 3  # the instances (and their network interfaces) together
    base = {"region": lab.region, "account_id": lab.account_id, "event_id": None, "principal": None,
            "resource_type": "AWS::EC2::Volume", "resource_id": "vol-0123456789abcdef0", "resource_name": None,
            "arn": None, "availability_zone": "us-east-1a", "resource_creation_time": lab.now, "tags": {},
            "supplementary_configuration": {}, "relationships": [], "time": lab.now}
    with lab.hub.held():
        lab.hub.publish("resource_changed", {**base, "status": "created", "configuration": {"size": 8}})
        lab.hub.publish("resource_changed", {**base, "status": "updated", "configuration": {"size": 16}})
        lab.hub.publish("resource_changed", {**base, "status": "updated", "configuration": {"size": 16}})
    history = cfg.get_resource_config_history(resourceType="AWS::EC2::Volume",
                                              resourceId="vol-0123456789abcdef0")["configurationItems"]
    assert [(i["configurationItemStatus"], json.loads(i["configuration"])["size"]) for i in history] == \
        [("OK", 16), ("ResourceDiscovered", 8)]  # the third fact changed nothing: no item
    assert int(history[0]["configurationStateId"]) > int(history[1]["configurationStateId"])
    changes = [m for m in messages if m["configurationItem"]["resourceId"] == "vol-0123456789abcdef0"]
    assert [m["configurationItemDiff"]["changeType"] for m in changes] == ["CREATE", "UPDATE"]
    assert changes[1]["configurationItemDiff"]["changedProperties"]["Configuration.size"] == {
        "previousValue": 8, "updatedValue": 16, "changeType": "UPDATE"}
    assert all(cfg.get_resource_config_history(resourceType="AWS::EC2::Instance", resourceId=i)["configurationItems"]
               for i in instances)


def test_types_outside_the_recording_group_are_not_recorded_in_detail(lab):
    recording(lab, allSupported=False, resourceTypes=["AWS::EC2::Volume"])
    group_id = security_group(lab)
    rows = lab.sql("select status, configuration from config_items where resource_id = ?", [group_id]).fetchall()
    assert rows == [("ResourceNotRecorded", None)]


def test_history_order_limit_and_unknown_resource(lab):
    cfg = recording(lab)
    group_id = security_group(lab)
    ec2 = lab.client("ec2")
    for port in (22, 80, 443):
        lab.advance(hours=1)
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    history = cfg.get_resource_config_history(resourceType="AWS::EC2::SecurityGroup", resourceId=group_id)
    times = [i["configurationItemCaptureTime"] for i in history["configurationItems"]]
    assert len(times) == 4 and times == sorted(times, reverse=True)
    forward = cfg.get_resource_config_history(resourceType="AWS::EC2::SecurityGroup", resourceId=group_id,
                                              chronologicalOrder="Forward", limit=2)
    assert [i["configurationItemCaptureTime"] for i in forward["configurationItems"]] == sorted(times)[:2]
    assert "nextToken" in forward
    assert code_of(lambda: cfg.get_resource_config_history(resourceType="AWS::EC2::SecurityGroup",
                                                           resourceId="sg-0000000000")) == "ResourceNotDiscoveredException"


def test_retention_worked_example():
    """The documented example: items on 2017-03-10, 2017-11-12 and 2017-12-12, today 2018-05-24."""
    lab = Lab(start="2017-03-10T12:00:00Z")
    cfg = recording(lab)
    group_id = security_group(lab)
    ec2 = lab.client("ec2")
    for day in ("2017-11-12T12:00:00Z", "2017-12-12T12:00:00Z"):
        lab.run_until(day)
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": int(day[5:7]), "ToPort": int(day[5:7]), "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    lab.run_until("2018-05-24T12:00:00Z")

    def days():
        found = cfg.get_resource_config_history(resourceType="AWS::EC2::SecurityGroup", resourceId=group_id,
                                                earlierTime="2017-01-01T00:00:00Z", limit=100)
        pages = [found]
        while "nextToken" in pages[-1]:
            pages.append(cfg.get_resource_config_history(resourceType="AWS::EC2::SecurityGroup", resourceId=group_id,
                                                         earlierTime="2017-01-01T00:00:00Z", limit=100,
                                                         nextToken=pages[-1]["nextToken"]))
        return sorted(i["configurationItemCaptureTime"].strftime("%Y-%m-%d") for p in pages for i in p["configurationItems"])

    cfg.put_retention_configuration(RetentionPeriodInDays=30)
    assert days() == ["2017-12-12"]
    cfg.put_retention_configuration(RetentionPeriodInDays=365)
    assert days() == ["2017-03-10", "2017-11-12", "2017-12-12"]
    with pytest.raises(botocore.exceptions.ParamValidationError):
        cfg.put_retention_configuration(RetentionPeriodInDays=29)  # botocore knows the minimum
    assert code_of(lambda: cfg.put_retention_configuration(RetentionPeriodInDays=2558)) == "ValidationException"


def test_history_and_snapshot_files_in_aws_layout(lab):
    cfg = recording(lab)
    security_group(lab)
    snapshot = cfg.deliver_config_snapshot(deliveryChannelName="default")["configSnapshotId"]
    lab.advance(hours=6)
    s3 = lab.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="config-bucket")["Contents"]]
    history = [k for k in keys if "/ConfigHistory/" in k]
    assert any(re.match(r"AWSLogs/123456789012/Config/us-east-1/2026/1/1/ConfigHistory/123456789012_Config_us-east-1_"
                        r"ConfigHistory_AWS_EC2_SecurityGroup_\d{8}T\d{6}Z_\d{8}T\d{6}Z_1\.json\.gz$", k) for k in history)
    (snap_key,) = [k for k in keys if "/ConfigSnapshot/" in k]
    assert snap_key.endswith(f"_{snapshot}.json.gz")
    body = json.loads(gzip.decompress(s3.get_object(Bucket="config-bucket", Key=snap_key)["Body"].read()))
    item = next(i for i in body["configurationItems"] if i["resourceType"] == "AWS::EC2::SecurityGroup")
    assert item["configurationItemVersion"] == "1.3" and "awsAccountId" in item and isinstance(item["configuration"], dict)


def test_sns_notification_on_change(lab):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="config-events")["QueueUrl"]
    topic = lab.client("sns").create_topic(Name="config")["TopicArn"]
    lab.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:config-events",
                                Attributes={"RawMessageDelivery": "true"})
    cfg = lab.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::123456789012:role/c"})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket(lab), "snsTopicARN": topic})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    sqs.purge_queue(QueueUrl=url)
    group_id = security_group(lab)
    messages = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    created = next(m for m in messages if m["configurationItem"]["resourceId"] == group_id)
    assert created["messageType"] == "ConfigurationItemChangeNotification" and created["recordVersion"] == "1.3"
    assert created["configurationItemDiff"] == {"changedProperties": {}, "changeType": "CREATE"}
    assert created["configurationItem"]["configurationItemStatus"] == "ResourceDiscovered"


def test_snapshots_at_the_channel_frequency(lab):
    """configSnapshotDeliveryProperties.deliveryFrequency: a snapshot every six hours on the UTC grid;
    an on-demand snapshot in between does not move it."""
    cfg = recording(lab)
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket",
                                              "configSnapshotDeliveryProperties": {"deliveryFrequency": "Six_Hours"}})
    lab.advance(hours=7)
    cfg.deliver_config_snapshot(deliveryChannelName="default")
    lab.advance(hours=6)
    keys = [o["Key"] for o in lab.client("s3").list_objects_v2(Bucket="config-bucket")["Contents"]]
    stamps = sorted(re.search(r"ConfigSnapshot_(\d{8}T\d{6}Z)_", k).group(1) for k in keys if "/ConfigSnapshot/" in k)
    assert stamps == ["20260101T060000Z", "20260101T070000Z", "20260101T120000Z"]


def test_history_files_cover_six_hours_even_after_idle_days(lab):
    """A history file every six hours, for the types that changed in those six hours."""
    recording(lab)
    group_id = security_group(lab)
    lab.advance(days=2)  # idle: no files after the first
    lab.client("ec2").create_tags(Resources=[group_id], Tags=[{"Key": "team", "Value": "web"}])
    lab.advance(hours=6)
    keys = [o["Key"] for o in lab.client("s3").list_objects_v2(Bucket="config-bucket")["Contents"]]
    windows = sorted(re.search(r"SecurityGroup_(\d{8}T\d{6}Z)_(\d{8}T\d{6}Z)_1", k).groups()
                     for k in keys if "ConfigHistory_AWS_EC2_SecurityGroup" in k)
    assert windows == [("20260101T000000Z", "20260101T060000Z"), ("20260103T000000Z", "20260103T060000Z")]
