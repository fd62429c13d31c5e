"""Telling the lab what changed: ``resource_changed`` facts in AWS Config's configuration shape,
``ec2_instance_state_changed`` facts, and the catch-up job that announces changes that happen
later on the clock (an instance reaching ``running``, a volume deleted with its instance).

The configuration of each resource is its Describe shape with lowerCamelCase keys, as AWS Config
records EC2 resources (e.g. ``state: {code: 16, name: "running"}``; security groups carry
``ipv4Ranges`` and the older flat ``ipRanges``). Relationship names are Config's
(https://docs.aws.amazon.com/config/latest/developerguide/config-concepts.html#config-items and
the resource relationship table, e.g. "Is attached to Instance", "Is contained in Vpc").
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any, Iterator

from ..gateway import Call, camel_keys

JUST_BEFORE = timedelta(microseconds=1)

ARN_KINDS = {"AWS::EC2::Instance": "instance", "AWS::EC2::Volume": "volume",
             "AWS::EC2::SecurityGroup": "security-group", "AWS::EC2::VPC": "vpc", "AWS::EC2::Subnet": "subnet",
             "AWS::EC2::NetworkInterface": "network-interface", "AWS::EC2::EIP": "elastic-ip"}


def _relation(name: str, resource_type: str, resource_id: str | None) -> dict[str, str] | None:
    if not resource_id:
        return None
    return {"relationshipName": name, "resourceType": resource_type, "resourceId": resource_id}


class ConfigMixin:
    """Builds and publishes resource facts (mixed into Ec2Service)."""

    _memo: dict[tuple, list[dict[str, Any]]] | None = None

    def _publish(self, call: Call, changes: list[tuple[str, str, str]],
                 prepared: list[dict[str, Any]] | None = None) -> None:
        """Publish each (resource type, id, created|updated|deleted) once, as of the call;
        ``prepared`` facts (taken before a deletion, see ``_before_deleting``) go first."""
        for fact in prepared or []:
            call.publish("resource_changed", fact)
        with self._remembering():
            for resource_type, resource_id, status in dict.fromkeys(changes):
                fact = self._resource_fact(call.region, call.account_id, resource_type, resource_id, call.time, status)
                if fact is not None:
                    call.publish("resource_changed", fact)

    def _before_deleting(self, call: Call, doomed: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The "deleted" facts of resources a call is about to delete, taken while they still exist
        (their last configuration; Config itself records a deleted item without one)."""
        with self._remembering():
            facts = [self._resource_fact(call.region, call.account_id, kind, rid, call.time, "deleted")
                     for kind, rid in doomed]
        return [f for f in facts if f is not None]

    def _publish_later(self, region: str, account_id: str, resource_type: str, resource_id: str, at: datetime,
                       status: str) -> None:
        """Publish a change no call caused (the clock reached it): no CloudTrail event behind it."""
        with self._remembering():
            fact = self._resource_fact(region, account_id, resource_type, resource_id, at, status)
        if fact is not None:
            fact.update(region=region, account_id=account_id, time=at, event_id=None, principal=None)
            self.lab.hub.publish("resource_changed", fact)

    @contextlib.contextmanager
    def _remembering(self) -> Iterator[None]:
        """Describe each kind of resource once while building a batch of facts (nothing changes
        in between), instead of once per fact and relationship."""
        outer = self._memo is None
        if outer:
            self._memo = {}
        try:
            yield
        finally:
            if outer:
                self._memo = None

    def _all(self, kind: str, region: str, account_id: str, at: datetime) -> list[dict[str, Any]]:
        """Every resource of a kind as Describe shows it at ``at`` (remembered within a batch)."""
        key = (kind, region, account_id, at)
        if self._memo is not None and key in self._memo:
            return self._memo[key]
        found = {"instances": lambda: self._instances(region, account_id, at),
                 "volumes": lambda: self._volumes(region, account_id, at),
                 "groups": lambda: self._groups(region, account_id, at),
                 "vpcs": lambda: self._vpcs(region, account_id, at),
                 "subnets": lambda: self._subnets(region, account_id, at),
                 "interfaces": lambda: self._network_interfaces(region, account_id, at),
                 "addresses": lambda: self._addresses(region, account_id)}[kind]()
        if self._memo is not None:
            self._memo[key] = found
        return found

    # ------------------------------------------------------------------ facts
    def _resource_fact(self, region: str, account_id: str, resource_type: str, resource_id: str,
                       at: datetime, status: str) -> dict[str, Any] | None:
        described = self._describe_one(region, account_id, resource_type, resource_id, at)
        if described is None and status == "deleted":
            described = self._describe_one(region, account_id, resource_type, resource_id, at - JUST_BEFORE)
        if described is None:
            return None
        shape, created, zone, name = described
        tags = {t["Key"]: t["Value"] for t in shape.get("Tags", shape.get("TagSet", []))}
        configuration = camel_keys(shape)
        if resource_type == "AWS::EC2::SecurityGroup":
            configuration = _config_security_group(configuration)
        return {
            "resource_type": resource_type, "resource_id": resource_id, "resource_name": name,
            "arn": f"arn:aws:ec2:{region}:{account_id}:{ARN_KINDS[resource_type]}/{resource_id}",
            "availability_zone": zone, "resource_creation_time": created, "status": status,
            "configuration": configuration, "supplementary_configuration": {}, "tags": tags,
            "relationships": [] if status == "deleted" else self._relationships(region, account_id, resource_type,
                                                                               shape, at),
        }

    def _describe_one(self, region: str, account_id: str, resource_type: str, resource_id: str,
                      at: datetime) -> tuple[dict[str, Any], datetime | None, str | None, str | None] | None:
        """(Describe shape, creation time, Config's availabilityZone, resourceName), or None if gone."""
        kinds = {"AWS::EC2::Instance": ("instances", "InstanceId"), "AWS::EC2::Volume": ("volumes", "VolumeId"),
                 "AWS::EC2::SecurityGroup": ("groups", "GroupId"), "AWS::EC2::VPC": ("vpcs", "VpcId"),
                 "AWS::EC2::Subnet": ("subnets", "SubnetId"),
                 "AWS::EC2::NetworkInterface": ("interfaces", "NetworkInterfaceId"),
                 "AWS::EC2::EIP": ("addresses", "AllocationId")}
        if resource_type not in kinds:
            return None
        kind, key = kinds[resource_type]
        found = next((r for r in self._all(kind, region, account_id, at) if r[key] == resource_id), None)
        if found is None:
            return None
        if resource_type == "AWS::EC2::Instance":
            return found, found["LaunchTime"], found["Placement"]["AvailabilityZone"], None
        if resource_type == "AWS::EC2::Volume":
            return found, found["CreateTime"], found["AvailabilityZone"], None
        zone = {"AWS::EC2::SecurityGroup": "Not Applicable", "AWS::EC2::VPC": "Multiple Availability Zones",
                "AWS::EC2::EIP": "Not Applicable"}.get(resource_type) or found.get("AvailabilityZone")
        return found, self._created(resource_id), zone, found.get("GroupName")

    def _created(self, resource_id: str) -> datetime | None:
        prefix = resource_id.split("-", 1)[0]
        table, column, when = {
            "sg": ("ec2_security_groups", "group_id", "created_at"), "vpc": ("ec2_vpcs", "vpc_id", "created_at"),
            "subnet": ("ec2_subnets", "subnet_id", "created_at"), "eni": ("ec2_network_interfaces", "eni_id", "created_at"),
            "eipalloc": ("ec2_addresses", "allocation_id", "allocated_at"),
        }[prefix]
        found = self.lab.db.execute(f"SELECT {when} FROM {table} WHERE {column} = ?", [resource_id]).fetchone()
        return found[0] if found else None

    # ------------------------------------------------------------------ relationships
    def _relationships(self, region: str, account_id: str, resource_type: str, shape: dict[str, Any],
                       at: datetime) -> list[dict[str, str]]:
        found: list[dict[str, str] | None] = []
        if resource_type == "AWS::EC2::Instance":
            found.append(_relation("Is contained in Subnet", "AWS::EC2::Subnet", shape.get("SubnetId")))
            found.append(_relation("Is contained in Vpc", "AWS::EC2::VPC", shape.get("VpcId")))
            found += [_relation("Is associated with SecurityGroup", "AWS::EC2::SecurityGroup", g["GroupId"])
                      for g in shape["SecurityGroups"]]
            found += [_relation("Contains NetworkInterface", "AWS::EC2::NetworkInterface", n["NetworkInterfaceId"])
                      for n in shape["NetworkInterfaces"]]
            found += [_relation("Is attached to Volume", "AWS::EC2::Volume", b["Ebs"]["VolumeId"])
                      for b in shape["BlockDeviceMappings"]]
            found += [_relation("Is attached to ElasticIp", "AWS::EC2::EIP", a["AllocationId"])
                      for a in self._all("addresses", region, account_id, at)
                      if a.get("InstanceId") == shape["InstanceId"]]
        elif resource_type == "AWS::EC2::Volume":
            found += [_relation("Is attached to Instance", "AWS::EC2::Instance", a["InstanceId"])
                      for a in shape["Attachments"]]
        elif resource_type == "AWS::EC2::NetworkInterface":
            found.append(_relation("Is attached to Instance", "AWS::EC2::Instance",
                                   shape.get("Attachment", {}).get("InstanceId")))
            found += [_relation("Is associated with SecurityGroup", "AWS::EC2::SecurityGroup", g["GroupId"])
                      for g in shape["Groups"]]
            found.append(_relation("Is contained in Subnet", "AWS::EC2::Subnet", shape["SubnetId"]))
            found.append(_relation("Is contained in Vpc", "AWS::EC2::VPC", shape["VpcId"]))
            found.append(_relation("Is attached to ElasticIp", "AWS::EC2::EIP",
                                   shape.get("Association", {}).get("AllocationId")))
        elif resource_type == "AWS::EC2::EIP":
            found.append(_relation("Is attached to Instance", "AWS::EC2::Instance", shape.get("InstanceId")))
            found.append(_relation("Is attached to NetworkInterface", "AWS::EC2::NetworkInterface",
                                   shape.get("NetworkInterfaceId")))
        else:
            enis = self._all("interfaces", region, account_id, at)
            instances = [i for i in self._all("instances", region, account_id, at) if i["State"]["Name"] != "terminated"]
            if resource_type == "AWS::EC2::SecurityGroup":
                group_id = shape["GroupId"]
                found.append(_relation("Is contained in Vpc", "AWS::EC2::VPC", shape["VpcId"]))
                found += [_relation("Is associated with Instance", "AWS::EC2::Instance", i["InstanceId"])
                          for i in instances if group_id in {g["GroupId"] for g in i["SecurityGroups"]}]
                found += [_relation("Is associated with NetworkInterface", "AWS::EC2::NetworkInterface",
                                    e["NetworkInterfaceId"]) for e in enis if group_id in {g["GroupId"] for g in e["Groups"]}]
            elif resource_type == "AWS::EC2::Subnet":
                subnet_id = shape["SubnetId"]
                found.append(_relation("Is contained in Vpc", "AWS::EC2::VPC", shape["VpcId"]))
                found += [_relation("Contains Instance", "AWS::EC2::Instance", i["InstanceId"])
                          for i in instances if i.get("SubnetId") == subnet_id]
                found += [_relation("Contains NetworkInterface", "AWS::EC2::NetworkInterface", e["NetworkInterfaceId"])
                          for e in enis if e["SubnetId"] == subnet_id]
            elif resource_type == "AWS::EC2::VPC":
                vpc_id = shape["VpcId"]
                found += [_relation("Contains Subnet", "AWS::EC2::Subnet", s["SubnetId"])
                          for s in self._all("subnets", region, account_id, at) if s["VpcId"] == vpc_id]
                found += [_relation("Contains SecurityGroup", "AWS::EC2::SecurityGroup", g["GroupId"])
                          for g in self._all("groups", region, account_id, at) if g["VpcId"] == vpc_id]
                found += [_relation("Contains Instance", "AWS::EC2::Instance", i["InstanceId"])
                          for i in instances if i.get("VpcId") == vpc_id]
                found += [_relation("Contains NetworkInterface", "AWS::EC2::NetworkInterface", e["NetworkInterfaceId"])
                          for e in enis if e["VpcId"] == vpc_id]
        return [r for r in found if r is not None]

    # ------------------------------------------------------------------ the clock reaches a change
    def _announce_due(self, until: datetime) -> None:
        """Catch-up job: announce every instance state entered, and every scheduled change due, by ``until``."""
        db = self.lab.db
        due: list[tuple] = []
        for instance_id, region, account_id, state, entered_at, seq, previous in db.execute("""
                SELECT instance_id, region, account_id, state, entered_at, seq, previous FROM (
                    SELECT *, lag(state) OVER (PARTITION BY instance_id ORDER BY entered_at, seq) AS previous
                    FROM ec2_instance_states)
                WHERE NOT published AND entered_at <= ?""", [until]).fetchall():
            due.append((entered_at, seq, "state", region, account_id, instance_id, state, previous))
        for due_at, seq, region, account_id, resource_type, resource_id, status in db.execute(
                "SELECT * FROM ec2_scheduled_changes WHERE due_at <= ?", [until]).fetchall():
            due.append((due_at, seq, "change", region, account_id, resource_id, resource_type, status))
        for at, seq, kind, region, account_id, resource_id, what, extra in sorted(due, key=lambda d: (d[0], d[1])):
            if kind == "state":
                db.execute("UPDATE ec2_instance_states SET published = TRUE WHERE instance_id = ? AND seq = ?",
                           [resource_id, seq])
                self.lab.hub.publish("ec2_instance_state_changed", {
                    "instance_id": resource_id, "state": what, "previous_state": extra, "time": at,
                    "region": region, "account_id": account_id})
                self._publish_later(region, account_id, "AWS::EC2::Instance", resource_id, at,
                                    "deleted" if what == "terminated" else "updated")
            else:
                db.execute("DELETE FROM ec2_scheduled_changes WHERE seq = ?", [seq])
                self._publish_later(region, account_id, what, resource_id, at, extra)


def _config_security_group(configuration: dict[str, Any]) -> dict[str, Any]:
    """A security group as Config records it: ``ipv4Ranges`` beside the flat ``ipRanges`` list."""
    def permission(p: dict[str, Any]) -> dict[str, Any]:
        item = {k: v for k, v in p.items() if k != "ipRanges"}
        item["ipv4Ranges"] = p.get("ipRanges", [])
        item["ipRanges"] = [r["cidrIp"] for r in p.get("ipRanges", [])]
        return item

    shaped = {k: v for k, v in configuration.items() if k != "securityGroupArn"}
    shaped["ipPermissions"] = [permission(p) for p in configuration.get("ipPermissions", [])]
    shaped["ipPermissionsEgress"] = [permission(p) for p in configuration.get("ipPermissionsEgress", [])]
    shaped.setdefault("tags", [])
    return shaped
