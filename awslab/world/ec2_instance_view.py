"""How instances look from outside: the Instance and Reservation shapes of DescribeInstances, as of
any instant, and the filters DescribeInstances accepts.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import ec2_catalog as catalog
from .ec2_common import rows, tag_list, tags_of
from .ec2_network import private_dns, public_dns
from .ec2_tables import STATE_AT_SQL

INSTANCES_AT_SQL = f"""
WITH state_now AS ({STATE_AT_SQL}),
ran AS (SELECT DISTINCT instance_id FROM ec2_instance_states WHERE state = 'running' AND entered_at <= $at),
monitoring AS (SELECT instance_id, arg_max(detailed, effective_from) AS detailed FROM ec2_monitoring
               WHERE effective_from <= $at GROUP BY instance_id),
elastic AS (SELECT instance_id, eni_id, public_ip FROM ec2_addresses WHERE released_at IS NULL AND instance_id IS NOT NULL)
SELECT i.*, s.state, s.entered_at AS state_since, r.instance_id IS NOT NULL AS ever_running, m.detailed,
       a.public_ip AS elastic_ip
FROM ec2_instances i
JOIN state_now s USING (instance_id)
LEFT JOIN ran r USING (instance_id)
LEFT JOIN monitoring m USING (instance_id)
LEFT JOIN elastic a ON a.instance_id = i.instance_id AND a.eni_id = i.primary_eni_id
WHERE i.region = $region AND i.account_id = $account
  AND ($ids IS NULL OR list_contains($ids, i.instance_id))
  AND NOT (s.state = 'terminated' AND s.entered_at + $visible <= $at)
ORDER BY i.launch_time, i.reservation_id, i.launch_index
"""
"""Instances visible at ``$at`` (terminated ones for an hour), with their state then."""


def user_initiated(at: datetime) -> str:
    return f"User initiated ({at.strftime('%Y-%m-%d %H:%M:%S')} GMT)"


class InstanceViewMixin:
    """Builds Instance dicts as DescribeInstances returns them (mixed into Ec2Service)."""

    def _instance_rows(self, region: str, account_id: str, at: datetime,
                       ids: list[str] | None = None) -> list[dict[str, Any]]:
        return rows(self.lab.db, INSTANCES_AT_SQL, region=region, account=account_id, at=at, ids=ids,
                    visible=catalog.TERMINATED_VISIBLE)

    def _instances(self, region: str, account_id: str, at: datetime,
                   ids: list[str] | None = None) -> list[dict[str, Any]]:
        found = self._instance_rows(region, account_id, at, ids)
        if not found:
            return []
        instance_ids = [r["instance_id"] for r in found]
        tags = tags_of(self.lab.db, instance_ids)
        enis: dict[str, list[dict[str, Any]]] = {}
        for eni in self._network_interfaces(region, account_id, at):
            owner = eni.get("Attachment", {}).get("InstanceId")
            if owner in tags:
                enis.setdefault(owner, []).append(eni)
        devices: dict[str, list[dict[str, Any]]] = {}
        for a in rows(self.lab.db, """
                SELECT * FROM ec2_volume_attachments WHERE list_contains($ids, instance_id) AND attach_time <= $at
                  AND (detached_at IS NULL OR detached_at > $at) ORDER BY attach_time, device""",
                      ids=instance_ids, at=at):
            devices.setdefault(a["instance_id"], []).append(
                {"DeviceName": a["device"], "Ebs": {"AttachTime": a["attach_time"],
                                                    "DeleteOnTermination": a["delete_on_termination"],
                                                    "Status": "attached", "VolumeId": a["volume_id"]}})
        return [self._instance_dict(region, account_id, r, tags[r["instance_id"]],
                                    sorted(enis.get(r["instance_id"], []),
                                           key=lambda e: e["Attachment"]["DeviceIndex"]),
                                    devices.get(r["instance_id"], [])) for r in found]

    def _instance_dict(self, region: str, account_id: str, r: dict[str, Any], tags: dict[str, str],
                       enis: list[dict[str, Any]], devices: list[dict[str, Any]]) -> dict[str, Any]:
        state = r["state"]
        windows = r["platform"] == "windows"
        vcpus = (catalog.instance_type(r["instance_type"]) or catalog.instance_type("m5.large")).vcpus
        public = r["elastic_ip"] or (r["public_ip"] if state in ("pending", "running") else None)
        instance: dict[str, Any] = {
            "Architecture": r["architecture"], "BlockDeviceMappings": devices,
            "ClientToken": r["client_token"] or "", "EbsOptimized": r["ebs_optimized"], "EnaSupport": True,
            "Hypervisor": "xen",  # EC2 reports "xen" for Nitro instances too (the enum has ovm | xen)
            "NetworkInterfaces": [_instance_interface(e) for e in enis],
            "RootDeviceName": r["root_device_name"], "RootDeviceType": "ebs",
            "SecurityGroups": enis[0]["Groups"] if enis else [], "SourceDestCheck": True,
            "VirtualizationType": "hvm",
            "CpuOptions": {"CoreCount": max(vcpus // 2, 1), "ThreadsPerCore": 2 if vcpus > 1 else 1},
            "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
            "HibernationOptions": {"Configured": False},
            "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                                "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                                "InstanceMetadataTags": "disabled"},
            "EnclaveOptions": {"Enabled": False}, "BootMode": "uefi-preferred",
            "PlatformDetails": "Windows" if windows else "Linux/UNIX",
            "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
            "UsageOperationUpdateTime": r["launch_time"],
            "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                      "EnableResourceNameDnsAAAARecord": False},
            "MaintenanceOptions": {"AutoRecovery": "default"}, "CurrentInstanceBootMode": "legacy-bios",
            "InstanceId": r["instance_id"], "ImageId": r["image_id"],
            "State": {"Code": catalog.STATE_CODES[state], "Name": state},
            "PrivateDnsName": "" if state == "terminated" else private_dns(region, r["private_ip"]),
            "PublicDnsName": public_dns(region, public) if public else "",
            "StateTransitionReason": r["state_transition_reason"] if state != "running" else "",
            "AmiLaunchIndex": r["launch_index"], "ProductCodes": [], "InstanceType": r["instance_type"],
            "LaunchTime": r["launch_time"],
            "Placement": {"GroupName": "", "Tenancy": "default", "AvailabilityZone": r["availability_zone"]},
            "Monitoring": {"State": "enabled" if r["detailed"] else "disabled"},
        }
        if windows:
            instance["Platform"] = "windows"
        if r["key_name"]:
            instance["KeyName"] = r["key_name"]
        if r["iam_instance_profile_arn"]:
            instance["IamInstanceProfile"] = {"Arn": r["iam_instance_profile_arn"],
                                              "Id": "AIPA" + r["instance_id"][2:19].upper()}
        if state != "terminated":
            instance.update({"SubnetId": r["subnet_id"], "VpcId": r["vpc_id"], "PrivateIpAddress": r["private_ip"]})
        if public:
            instance["PublicIpAddress"] = public
        if state == "pending":
            instance["StateReason"] = {"Code": "pending", "Message": "pending"}
        elif state != "running" and r["state_reason_code"]:
            instance["StateReason"] = {"Code": r["state_reason_code"], "Message": r["state_reason_message"]}
        if tags:
            instance["Tags"] = tag_list(tags)
        return instance

    def _reservations(self, region: str, account_id: str, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Instances grouped by the reservation (the RunInstances call) that launched them."""
        owners = {r["instance_id"]: (r["reservation_id"], r["requester_id"])
                  for r in rows(self.lab.db, "SELECT instance_id, reservation_id, requester_id FROM ec2_instances "
                                "WHERE list_contains($ids, instance_id)", ids=[i["InstanceId"] for i in instances])}
        reservations: dict[str, dict[str, Any]] = {}
        for instance in instances:
            reservation_id, requester = owners[instance["InstanceId"]]
            if reservation_id not in reservations:
                reservations[reservation_id] = {"ReservationId": reservation_id, "OwnerId": account_id,
                                                "Groups": [], "Instances": []}
                if requester:
                    reservations[reservation_id]["RequesterId"] = requester
            reservations[reservation_id]["Instances"].append(instance)
        return list(reservations.values())


def _instance_interface(eni: dict[str, Any]) -> dict[str, Any]:
    """A NetworkInterface as it appears inside an Instance (InstanceNetworkInterface)."""
    association = eni.get("Association")
    short = None if association is None else {k: association[k] for k in ("IpOwnerId", "PublicDnsName", "PublicIp")}
    attachment = eni["Attachment"]
    item: dict[str, Any] = {
        "Attachment": {k: attachment[k] for k in ("AttachTime", "AttachmentId", "DeleteOnTermination",
                                                  "DeviceIndex", "NetworkCardIndex", "Status")},
        "Description": eni["Description"], "Groups": eni["Groups"], "Ipv6Addresses": [],
        "MacAddress": eni["MacAddress"], "NetworkInterfaceId": eni["NetworkInterfaceId"], "OwnerId": eni["OwnerId"],
        "PrivateDnsName": eni["PrivateDnsName"], "PrivateIpAddress": eni["PrivateIpAddress"],
        "PrivateIpAddresses": [{"Primary": True, "PrivateDnsName": eni["PrivateDnsName"],
                                "PrivateIpAddress": eni["PrivateIpAddress"], **({"Association": short} if short else {})}],
        "SourceDestCheck": eni["SourceDestCheck"], "Status": eni["Status"], "SubnetId": eni["SubnetId"],
        "VpcId": eni["VpcId"], "InterfaceType": eni["InterfaceType"],
    }
    if short:
        item["Association"] = short
    return item


INSTANCE_FILTERS = {
    "instance-id": lambda i: [i["InstanceId"]],
    "instance-state-name": lambda i: [i["State"]["Name"]],
    "instance-state-code": lambda i: [i["State"]["Code"]],
    "instance-type": lambda i: [i["InstanceType"]],
    "image-id": lambda i: [i["ImageId"]],
    "availability-zone": lambda i: [i["Placement"]["AvailabilityZone"]],
    "vpc-id": lambda i: [i.get("VpcId")],
    "subnet-id": lambda i: [i.get("SubnetId")],
    "private-ip-address": lambda i: [i.get("PrivateIpAddress")],
    "ip-address": lambda i: [i.get("PublicIpAddress")],
    "key-name": lambda i: [i.get("KeyName")],
    "monitoring-state": lambda i: [i["Monitoring"]["State"]],
    "architecture": lambda i: [i["Architecture"]],
    "platform": lambda i: [i.get("Platform")],
    "iam-instance-profile.arn": lambda i: [i.get("IamInstanceProfile", {}).get("Arn")],
    "instance.group-id": lambda i: [g["GroupId"] for g in i["SecurityGroups"]],
    "instance.group-name": lambda i: [g["GroupName"] for g in i["SecurityGroups"]],
    "network-interface.network-interface-id": lambda i: [n["NetworkInterfaceId"] for n in i["NetworkInterfaces"]],
    "block-device-mapping.volume-id": lambda i: [b["Ebs"]["VolumeId"] for b in i["BlockDeviceMappings"]],
    "launch-time": lambda i: [i["LaunchTime"].strftime("%Y-%m-%dT%H:%M:%S.000Z")],
}
