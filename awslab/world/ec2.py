"""The EC2 service of the lab's world: instances, VPC networking, security groups, EBS volumes,
Elastic IPs, and the AWS/EC2 and AWS/EBS metrics their workloads produce.

The handlers live in mixins, one module per part of EC2 (ec2_instances, ec2_network,
ec2_security_groups, ec2_volumes, ec2_addresses); ec2_config turns changes into the facts AWS
Config and EventBridge need; workload models each instance's load and publishes its metrics.

API reference: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Handler, Service
from . import ec2_catalog as catalog
from .ec2_addresses import AddressesMixin, allocation_not_found
from .ec2_common import (IdAllocator, apply_filters, check_ids, check_tags, eni_not_found, group_not_found,
                         instance_not_found, invalid_value, paginate, rows, store_tags, subnet_not_found,
                         volume_not_found, vpc_not_found)
from .ec2_config import ConfigMixin
from .ec2_instance_view import InstanceViewMixin
from .ec2_templates import LaunchTemplatesMixin
from .ec2_instances import InstancesMixin
from .ec2_network import NetworkMixin
from .ec2_security_groups import SecurityGroupsMixin
from .ec2_tables import CREATE_TABLES, TABLES
from .ec2_volumes import VolumesMixin
from .workload import NOISE_MACRO, WORKLOAD_TAG, WorkloadMixin, parse_workload_tag

_RESOURCE_TYPES = {
    "i": ("instance", "AWS::EC2::Instance"), "vol": ("volume", "AWS::EC2::Volume"),
    "sg": ("security-group", "AWS::EC2::SecurityGroup"), "vpc": ("vpc", "AWS::EC2::VPC"),
    "subnet": ("subnet", "AWS::EC2::Subnet"), "eni": ("network-interface", "AWS::EC2::NetworkInterface"),
    "eipalloc": ("elastic-ip", "AWS::EC2::EIP"), "ami": ("image", None),
}


class Ec2Service(LaunchTemplatesMixin, InstancesMixin, InstanceViewMixin, NetworkMixin, SecurityGroupsMixin, VolumesMixin,
                 AddressesMixin, ConfigMixin, WorkloadMixin, Service):
    """EC2, answering the boto3 ``ec2`` client."""

    answers = ("ec2",)

    def __init__(self, lab) -> None:
        super().__init__(lab)
        self._ids = IdAllocator(lab.db)

    def _new_id(self, region: str, account_id: str, prefix: str) -> str:
        return self._ids.new_id(region, account_id, prefix)

    def _next_number(self) -> int:
        return self._ids.number()

    def handler(self, boto3_service: str, operation: str) -> Handler | None:
        """The operation's method, saving the id counter once the call is done."""
        method = super().handler(boto3_service, operation)
        if method is None:
            return None

        def answer(call: Call, params: dict[str, Any]) -> dict[str, Any] | None:
            if params.get("DryRun"):
                # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (DryRunOperation)
                raise AWSError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
            try:
                return method(call, params)
            finally:
                self._ids.save()  # a failed call's transaction is rolled back, this write with it
        return answer

    def setup(self) -> None:
        db = self.lab.db
        db.execute(";\n".join(CREATE_TABLES + [NOISE_MACRO]))
        start = self.lab.now.replace(second=0, microsecond=0)
        db.execute("INSERT INTO ec2_job_progress SELECT 'metrics', ? WHERE NOT EXISTS "
                   "(SELECT 1 FROM ec2_job_progress WHERE name = 'metrics')", [start])
        self._create_default_vpcs(self.lab.regions, self.lab.account_id, self.lab.start)
        self._ids.save()
        self.lab.scheduler.keep_up("ec2_state_changes", self._announce_due, order=10)
        # AWS Config's recorder takes an inventory of existing resources when it starts
        self.lab.hub.subscribe("resource_inventory",
                               lambda fact: fact["collect"].extend(self.resource_facts(fact["region"], fact["time"])))
        self.lab.scheduler.keep_up("ec2_metrics", self._publish_metrics, order=20)

    def tables(self) -> dict[str, str]:
        return dict(TABLES)

    # ------------------------------------------------------------------ tags
    def _tagged_resource(self, call: Call, resource_id: str) -> str | None:
        """The AWS::EC2::… type of ``resource_id``; EC2's not-found error for the kind of id if there
        is no such resource (CreateTags on an unknown instance: InvalidInstanceID.NotFound)."""
        prefix = resource_id.rsplit("-", 1)[0] if resource_id.count("-") else ""
        if prefix not in _RESOURCE_TYPES:
            raise AWSError("InvalidID", f"The ID '{resource_id}' is not valid")
        check_ids([resource_id], prefix)
        config_type = _RESOURCE_TYPES[prefix][1]
        if config_type is None:
            return None
        if self._describe_one(call.region, call.account_id, config_type, resource_id, call.time) is None:
            raise {"i": instance_not_found([resource_id]), "vol": volume_not_found([resource_id]),
                   "sg": group_not_found(resource_id), "vpc": vpc_not_found(resource_id),
                   "subnet": subnet_not_found(resource_id), "eni": eni_not_found(resource_id),
                   "eipalloc": allocation_not_found(resource_id)}[prefix]
        return config_type

    def create_tags(self, call: Call, params: dict[str, Any]) -> None:
        tags = check_tags(params["Tags"])
        changes = []
        for resource_id in params["Resources"]:
            config_type = self._tagged_resource(call, resource_id)
            store_tags(call.db, call.region, call.account_id, resource_id, tags)
            if config_type == "AWS::EC2::Instance" and WORKLOAD_TAG in tags:
                self._store_workload(resource_id, call.time, parse_workload_tag(tags[WORKLOAD_TAG]))
            if config_type:
                changes.append((config_type, resource_id, "updated"))
        self._publish(call, changes)
        return None

    def delete_tags(self, call: Call, params: dict[str, Any]) -> None:
        changes = []
        for resource_id in params["Resources"]:
            config_type = self._tagged_resource(call, resource_id)
            for tag in params.get("Tags") or [{"Key": None}]:
                call.db.execute("DELETE FROM ec2_tags WHERE resource_id = ? AND (? IS NULL OR key = ?) "
                                "AND (? IS NULL OR value = ?)",
                                [resource_id, tag["Key"], tag["Key"], tag.get("Value"), tag.get("Value")])
            if config_type:
                changes.append((config_type, resource_id, "updated"))
        self._publish(call, changes)
        return None

    def describe_tags(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        items = [{"Key": r["key"], "ResourceId": r["resource_id"], "Value": r["value"],
                  "ResourceType": _RESOURCE_TYPES.get(r["resource_id"].rsplit("-", 1)[0], ("",))[0]}
                 for r in rows(call.db, "SELECT * FROM ec2_tags WHERE region = $region AND account_id = $account "
                               "ORDER BY resource_id, key", region=call.region, account=call.account_id)]
        items = apply_filters(items, params.get("Filters"), {
            "key": lambda t: [t["Key"]], "value": lambda t: [t["Value"]], "resource-id": lambda t: [t["ResourceId"]],
            "resource-type": lambda t: [t["ResourceType"]],
        }, tags_key="_none")
        return paginate(items, params, "Tags")

    # ------------------------------------------------------------------ the world's fixed facts
    def describe_availability_zones(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        zones = [{"State": "available", "OptInStatus": "opt-in-not-required", "Messages": [], "RegionName": call.region,
                  "ZoneName": name, "ZoneId": zone_id, "GroupName": call.region, "NetworkBorderGroup": call.region,
                  "ZoneType": "availability-zone"} for name, zone_id in catalog.availability_zones(call.region)]
        for wanted, key in ((params.get("ZoneNames"), "ZoneName"), (params.get("ZoneIds"), "ZoneId")):
            if wanted:
                unknown = [w for w in wanted if w not in {z[key] for z in zones}]
                if unknown:
                    raise invalid_value(f"The zone '{unknown[0]}' does not exist.")
                zones = [z for z in zones if z[key] in wanted]
        zones = apply_filters(zones, params.get("Filters"), {
            "zone-name": lambda z: [z["ZoneName"]], "zone-id": lambda z: [z["ZoneId"]],
            "state": lambda z: [z["State"]], "region-name": lambda z: [z["RegionName"]],
        })
        return {"AvailabilityZones": zones}

    def describe_images(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("ImageIds") or None
        images = []
        for image in catalog.LAB_IMAGES.values():
            item: dict[str, Any] = {
                "Architecture": image.architecture, "CreationDate": "2025-01-01T00:00:00.000Z",
                "ImageId": image.image_id, "ImageLocation": f"amazon/{image.name}", "ImageType": "machine",
                "Public": True, "OwnerId": "137112412989", "PlatformDetails":
                    "Windows" if image.platform == "windows" else "Linux/UNIX",
                "UsageOperation": "RunInstances:0002" if image.platform == "windows" else "RunInstances",
                "State": "available", "BlockDeviceMappings": [{"DeviceName": image.root_device_name, "Ebs": {
                    "DeleteOnTermination": True, "VolumeSize": image.root_volume_size,
                    "VolumeType": image.root_volume_type, "Encrypted": False}}],
                "Description": image.description, "EnaSupport": True, "Hypervisor": "xen", "ImageOwnerAlias": "amazon",
                "Name": image.name, "RootDeviceName": image.root_device_name, "RootDeviceType": "ebs",
                "SriovNetSupport": "simple", "VirtualizationType": "hvm",
            }
            if image.platform == "windows":
                item["Platform"] = "windows"
            images.append(item)
        if ids:
            check_ids(ids, "ami")
            unknown = [i for i in ids if i not in catalog.LAB_IMAGES]
            if unknown:
                raise AWSError("InvalidAMIID.NotFound", f"The image id '[{unknown[0]}]' does not exist")
            images = [i for i in images if i["ImageId"] in ids]
        images = apply_filters(images, params.get("Filters"), {
            "image-id": lambda i: [i["ImageId"]], "name": lambda i: [i["Name"]],
            "architecture": lambda i: [i["Architecture"]], "platform": lambda i: [i.get("Platform")],
            "owner-alias": lambda i: [i["ImageOwnerAlias"]], "state": lambda i: [i["State"]],
        })
        return paginate(images, params, "Images")

    # ------------------------------------------------------------------ lab conveniences
    def resource_facts(self, region: str | None = None, at: datetime | None = None) -> list[dict[str, Any]]:
        """Every EC2 resource that exists now, as ``resource_changed`` facts (status "created"), for a
        recorder that starts after the resources were made (AWS Config discovers them)."""
        region = region or self.lab.region
        at = at or self.lab.now
        account = self.lab.account_id
        found: list[tuple[str, str]] = []
        found += [("AWS::EC2::VPC", v["VpcId"]) for v in self._vpcs(region, account, at)]
        found += [("AWS::EC2::Subnet", s["SubnetId"]) for s in self._subnets(region, account, at)]
        found += [("AWS::EC2::SecurityGroup", g["GroupId"]) for g in self._groups(region, account, at)]
        found += [("AWS::EC2::NetworkInterface", e["NetworkInterfaceId"])
                  for e in self._network_interfaces(region, account, at)]
        found += [("AWS::EC2::Instance", i["InstanceId"]) for i in self._instances(region, account, at)
                  if i["State"]["Name"] != "terminated"]
        found += [("AWS::EC2::Volume", v["VolumeId"]) for v in self._volumes(region, account, at)]
        found += [("AWS::EC2::EIP", a["AllocationId"]) for a in self._addresses(region, account)]
        facts = []
        with self._remembering():
            for resource_type, resource_id in found:
                fact = self._resource_fact(region, account, resource_type, resource_id, at, "created")
                if fact is not None:
                    fact.update(region=region, account_id=account, time=at, event_id=None, principal=None)
                    facts.append(fact)
        return facts

    def instance_states(self, instance_id: str) -> list[tuple[str, datetime]]:
        """Every state an instance has entered, or will enter, with its instant (for notebooks)."""
        return [(state, at) for state, at in self.lab.db.execute(
            "SELECT state, entered_at FROM ec2_instance_states WHERE instance_id = ? ORDER BY entered_at, seq",
            [instance_id]).fetchall()]

