"""EBS volumes: Create/Describe/Attach/Detach/DeleteVolume, and EBS encryption by default.

* Volume states (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-describing-volumes.html):
  creating → available ⇄ in-use → deleting → deleted. CreateVolume answers ``creating``,
  AttachVolume ``attaching``, DetachVolume ``detaching``; the lab settles each one at once, so the
  next Describe call already sees ``available`` / ``in-use`` (AWS takes seconds; a learner would
  otherwise have to advance the clock between every two EBS calls).
* A volume and its instance must be in the same Availability Zone; an attached volume cannot be
  deleted; only a volume in use can be detached.
* Encryption by default (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html)
  is a per-Region setting: once on, every new volume is encrypted whatever ``Encrypted`` says,
  with the default KMS key unless one is given.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from . import ec2_catalog as catalog
from .ec2_common import (apply_filters, check_ids, digest_int, instance_not_found, invalid_value, paginate,
                         rows, store_tags, tag_list, tags_for, tags_of, volume_not_found)

_DEVICE = re.compile(r"^/dev/(sd[a-z][1-9]?|xvd[a-z]{1,2}|sd[a-z]|nvme\d+n\d+)$|^xvd[a-z]{1,2}$")


def _default_key_arn(region: str, account_id: str) -> str:
    """The AWS managed key aws/ebs of the account and region (a stable made-up key id)."""
    key = uuid.UUID(int=digest_int("ebs-default-key", account_id, region) << 64 | digest_int("aws/ebs", region))
    return f"arn:aws:kms:{region}:{account_id}:key/{key}"


class VolumesMixin:
    """Handlers for EBS volumes (mixed into Ec2Service)."""

    # ------------------------------------------------------------------ settings
    def _settings(self, region: str, account_id: str) -> tuple[bool, str | None]:
        found = self.lab.db.execute("SELECT ebs_encryption_by_default, ebs_default_kms_key_id FROM ec2_account_settings "
                                    "WHERE region = ? AND account_id = ?", [region, account_id]).fetchone()
        return (False, None) if found is None else (found[0], found[1])

    def _save_settings(self, call: Call, enabled: bool, key: str | None) -> None:
        call.db.execute("INSERT OR REPLACE INTO ec2_account_settings VALUES (?, ?, ?, ?)",
                        [call.region, call.account_id, enabled, key])

    def get_ebs_encryption_by_default(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"EbsEncryptionByDefault": self._settings(call.region, call.account_id)[0]}

    def enable_ebs_encryption_by_default(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._save_settings(call, True, self._settings(call.region, call.account_id)[1])
        return {"EbsEncryptionByDefault": True}

    def disable_ebs_encryption_by_default(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._save_settings(call, False, self._settings(call.region, call.account_id)[1])
        return {"EbsEncryptionByDefault": False}

    def get_ebs_default_kms_key_id(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        key = self._settings(call.region, call.account_id)[1]
        return {"KmsKeyId": key or f"arn:aws:kms:{call.region}:{call.account_id}:alias/aws/ebs"}

    def modify_ebs_default_kms_key_id(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._save_settings(call, self._settings(call.region, call.account_id)[0], params["KmsKeyId"])
        return {"KmsKeyId": params["KmsKeyId"]}

    def reset_ebs_default_kms_key_id(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._save_settings(call, self._settings(call.region, call.account_id)[0], None)
        return {"KmsKeyId": f"arn:aws:kms:{call.region}:{call.account_id}:alias/aws/ebs"}

    # ------------------------------------------------------------------ creating
    def _volume_spec(self, call: Call, size: int | None, volume_type: str, iops: int | None,
                     throughput: int | None, encrypted: bool, key: str | None,
                     snapshot_id: str | None = None) -> dict[str, Any]:
        """Validate a volume's settings as CreateVolume (and RunInstances' block devices) do."""
        if volume_type not in catalog.VOLUME_LIMITS:
            raise invalid_value(f"Value ({volume_type}) for parameter volumeType is invalid. "
                                f"Valid volume types are: {', '.join(catalog.VOLUME_LIMITS)}")
        if size is None and snapshot_id is None:
            raise AWSError("MissingParameter", "The request must contain the parameter size/snapshot")
        size = 8 if size is None else size
        low, high = catalog.VOLUME_LIMITS[volume_type]
        if size < low:
            raise invalid_value(f"Volume of {size}GiB is too small; minimum is {low}GiB.")
        if size > high:
            raise invalid_value(f"Volume of {size}GiB is too large; maximum is {high}GiB.")
        if volume_type in ("io1", "io2") and iops is None:
            raise AWSError("MissingParameter", f"The parameter iops must be specified for {volume_type} volumes.")
        if iops is not None and volume_type not in ("io1", "io2", "gp3"):
            raise AWSError("InvalidParameterCombination", f"The parameter iops is not supported for {volume_type} volumes.")
        if throughput is not None and volume_type != "gp3":
            raise AWSError("InvalidParameterCombination",
                           f"The parameter throughput is not supported for {volume_type} volumes.")
        if key and not encrypted:
            raise AWSError("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.")
        by_default, default_key = self._settings(call.region, call.account_id)
        encrypted = encrypted or by_default
        if encrypted and not key:
            key = default_key or _default_key_arn(call.region, call.account_id)
        if volume_type == "gp2":
            iops = min(max(100, 3 * size), 16000)
        elif volume_type == "gp3":
            iops, throughput = iops or 3000, throughput or 125
        return {"size": size, "type": volume_type, "iops": iops, "throughput": throughput, "encrypted": encrypted,
                "kms_key_id": key if encrypted else None, "snapshot_id": snapshot_id}

    def _insert_volume(self, call: Call, zone: str, spec: dict[str, Any], multi_attach: bool = False) -> str:
        volume_id = self._new_id(call.region, call.account_id, "vol")
        call.db.execute("INSERT INTO ec2_volumes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                        [volume_id, call.region, call.account_id, zone, spec["size"], spec["type"], spec["iops"],
                         spec["throughput"], spec["encrypted"], spec["kms_key_id"], spec["snapshot_id"],
                         multi_attach, call.time])
        return volume_id

    def create_volume(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        zones = catalog.availability_zones(call.region)
        wanted = params.get("AvailabilityZone") or params.get("AvailabilityZoneId")
        if not wanted:
            raise AWSError("MissingParameter", "The request must contain the parameter availabilityZone")
        zone = next((z for z, zid in zones if wanted in (z, zid)), None)
        if zone is None:
            raise AWSError("InvalidZone.NotFound", f"The zone '{wanted}' does not exist.")
        spec = self._volume_spec(call, params.get("Size"), params.get("VolumeType", "gp2"), params.get("Iops"),
                                 params.get("Throughput"), bool(params.get("Encrypted", False)), params.get("KmsKeyId"),
                                 params.get("SnapshotId"))
        multi = bool(params.get("MultiAttachEnabled", False))
        if multi and spec["type"] not in ("io1", "io2"):
            raise invalid_value("The parameter multiAttachEnabled is only supported for io1 and io2 volumes.")
        tags = tags_for(params.get("TagSpecifications"), "volume")
        volume_id = self._insert_volume(call, zone, spec, multi)
        store_tags(call.db, call.region, call.account_id, volume_id, tags)
        self._publish(call, [("AWS::EC2::Volume", volume_id, "created")])
        volume = self._volumes(call.region, call.account_id, call.time, [volume_id])[0]
        volume["State"] = "creating"
        return volume

    def _launch_devices(self, call: Call, image: catalog.MachineImage,
                        mappings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The EBS volumes RunInstances creates: the image's root volume, changed or added to by
        BlockDeviceMappings."""
        devices: dict[str, dict[str, Any]] = {image.root_device_name: {"Ebs": {}}}
        for mapping in mappings:
            name = mapping.get("DeviceName", "")
            if not _DEVICE.match(name):
                raise invalid_value(f"Invalid device name {name}")
            if "NoDevice" in mapping:
                devices.pop(name, None)
            elif "Ebs" in mapping:
                devices[name] = mapping
        result = []
        for name, mapping in devices.items():
            ebs = mapping.get("Ebs", {})
            root = name == image.root_device_name
            spec = self._volume_spec(call, ebs.get("VolumeSize", image.root_volume_size if root else None),
                                     ebs.get("VolumeType", image.root_volume_type if root else "gp2"), ebs.get("Iops"),
                                     ebs.get("Throughput"), bool(ebs.get("Encrypted", False)), ebs.get("KmsKeyId"),
                                     ebs.get("SnapshotId"))
            spec.update(device=name, delete_on_termination=bool(ebs.get("DeleteOnTermination", True)))
            result.append(spec)
        return result

    def _create_launch_volume(self, call: Call, zone: str, device: dict[str, Any]) -> str:
        return self._insert_volume(call, zone, device)

    # ------------------------------------------------------------------ describing
    def _volumes(self, region: str, account_id: str, at: datetime, ids: list[str] | None = None) -> list[dict[str, Any]]:
        found = rows(self.lab.db, """
            SELECT * FROM ec2_volumes WHERE region = $region AND account_id = $account AND created_at <= $at
              AND (deleted_at IS NULL OR deleted_at > $at) AND ($ids IS NULL OR list_contains($ids, volume_id))
            ORDER BY created_at, volume_id""", region=region, account=account_id, at=at, ids=ids)
        attachments: dict[str, list[dict[str, Any]]] = {}
        for a in rows(self.lab.db, """
                SELECT * FROM ec2_volume_attachments WHERE list_contains($ids, volume_id) AND attach_time <= $at
                  AND (detached_at IS NULL OR detached_at > $at) ORDER BY attach_time""",
                      ids=[v["volume_id"] for v in found], at=at):
            attachments.setdefault(a["volume_id"], []).append(
                {"DeleteOnTermination": a["delete_on_termination"], "VolumeId": a["volume_id"],
                 "InstanceId": a["instance_id"], "Device": a["device"], "State": "attached",
                 "AttachTime": a["attach_time"]})
        zone_ids = dict(catalog.availability_zones(region))
        tags = tags_of(self.lab.db, [v["volume_id"] for v in found])
        result = []
        for v in found:
            attached = attachments.get(v["volume_id"], [])
            volume: dict[str, Any] = {
                "Iops": v["iops"], "VolumeType": v["volume_type"], "MultiAttachEnabled": v["multi_attach"],
                "Throughput": v["throughput"], "Operator": {"Managed": False},
                "VolumeId": v["volume_id"], "Size": v["size"], "SnapshotId": v["snapshot_id"] or "",
                "AvailabilityZone": v["availability_zone"], "AvailabilityZoneId": zone_ids.get(v["availability_zone"], ""),
                "State": "in-use" if attached else "available", "CreateTime": v["created_at"],
                "Attachments": attached, "Encrypted": v["encrypted"],
            }
            for optional in ("Iops", "Throughput"):
                if volume[optional] is None:
                    del volume[optional]
            if v["kms_key_id"]:
                volume["KmsKeyId"] = v["kms_key_id"]
            if tags[v["volume_id"]]:
                volume["Tags"] = tag_list(tags[v["volume_id"]])
            result.append(volume)
        return result

    def describe_volumes(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = list(params.get("VolumeIds") or []) or None
        check_ids(ids or [], "vol")
        volumes = self._volumes(call.region, call.account_id, call.time, ids)
        if ids:
            missing = [i for i in ids if i not in {v["VolumeId"] for v in volumes}]
            if missing:
                raise volume_not_found(missing)
        volumes = apply_filters(volumes, params.get("Filters"), {
            "volume-id": lambda v: [v["VolumeId"]], "status": lambda v: [v["State"]],
            "volume-type": lambda v: [v["VolumeType"]], "size": lambda v: [v["Size"]],
            "availability-zone": lambda v: [v["AvailabilityZone"]], "encrypted": lambda v: [v["Encrypted"]],
            "attachment.instance-id": lambda v: [a["InstanceId"] for a in v["Attachments"]],
            "attachment.device": lambda v: [a["Device"] for a in v["Attachments"]],
            "attachment.status": lambda v: [a["State"] for a in v["Attachments"]],
            "attachment.delete-on-termination": lambda v: [a["DeleteOnTermination"] for a in v["Attachments"]],
            "snapshot-id": lambda v: [v["SnapshotId"]], "multi-attach-enabled": lambda v: [v["MultiAttachEnabled"]],
        })
        return paginate(volumes, params, "Volumes")

    def _volume(self, call: Call, volume_id: str) -> dict[str, Any]:
        check_ids([volume_id], "vol")
        found = self._volumes(call.region, call.account_id, call.time, [volume_id])
        if not found:
            raise volume_not_found([volume_id])
        return found[0]

    # ------------------------------------------------------------------ attaching
    def attach_volume(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        volume = self._volume(call, params["VolumeId"])
        instance_id, device = params["InstanceId"], params["Device"]
        check_ids([instance_id], "i")
        found = self._instance_rows(call.region, call.account_id, call.time, [instance_id])
        if not found or found[0]["state"] == "terminated":
            raise instance_not_found([instance_id])
        instance = found[0]
        if volume["Attachments"] and not volume["MultiAttachEnabled"]:
            raise AWSError("VolumeInUse", f"{volume['VolumeId']} is already attached to an instance")
        if volume["AvailabilityZone"] != instance["availability_zone"]:
            raise AWSError("InvalidVolume.ZoneMismatch", f"The volume '{volume['VolumeId']}' is not in the same "
                                                         f"availability zone as instance '{instance_id}'")
        if instance["state"] not in ("running", "stopped"):
            raise AWSError("IncorrectInstanceState", f"Instance '{instance_id}' is not 'running' or 'stopped'.")
        if not _DEVICE.match(device):
            raise invalid_value(f"Value ({device}) for parameter device is invalid. {device} is not a valid EBS device name.")
        used = call.db.execute("SELECT 1 FROM ec2_volume_attachments WHERE instance_id = ? AND device = ? "
                               "AND detached_at IS NULL", [instance_id, device]).fetchone()
        if used:
            raise invalid_value(f"Invalid value '{device}' for unixDevice. Attachment point {device} is already in use")
        call.db.execute("INSERT INTO ec2_volume_attachments VALUES (?, ?, ?, ?, FALSE, NULL)",
                        [volume["VolumeId"], instance_id, device, call.time])
        self._publish(call, [("AWS::EC2::Volume", volume["VolumeId"], "updated"),
                             ("AWS::EC2::Instance", instance_id, "updated")])
        return {"AttachTime": call.time, "Device": device, "InstanceId": instance_id, "State": "attaching",
                "VolumeId": volume["VolumeId"]}

    def detach_volume(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        volume = self._volume(call, params["VolumeId"])
        volume_id = volume["VolumeId"]
        if not volume["Attachments"]:
            raise AWSError("IncorrectState", f"Volume '{volume_id}' is in the 'available' state.")
        attachments = [a for a in volume["Attachments"]
                       if params.get("InstanceId") in (None, a["InstanceId"]) and params.get("Device") in (None, a["Device"])]
        if not attachments:
            raise AWSError("InvalidAttachment.NotFound", f"Volume '{volume_id}' can not be detached from "
                                                         f"'{params.get('InstanceId')}' because it is not attached")
        attachment = attachments[0]
        instance = self._instance_rows(call.region, call.account_id, call.time, [attachment["InstanceId"]])[0]
        if attachment["Device"] == instance["root_device_name"] and instance["state"] != "stopped" \
                and not params.get("Force"):
            raise AWSError("OperationNotPermitted", f"Unable to detach root volume '{volume_id}' from instance "
                                                    f"'{attachment['InstanceId']}'")
        call.db.execute("UPDATE ec2_volume_attachments SET detached_at = ? WHERE volume_id = ? AND instance_id = ? "
                        "AND detached_at IS NULL", [call.time, volume_id, attachment["InstanceId"]])
        self._publish(call, [("AWS::EC2::Volume", volume_id, "updated"),
                             ("AWS::EC2::Instance", attachment["InstanceId"], "updated")])
        return {"AttachTime": attachment["AttachTime"], "Device": attachment["Device"],
                "InstanceId": attachment["InstanceId"], "State": "detaching", "VolumeId": volume_id}

    def delete_volume(self, call: Call, params: dict[str, Any]) -> None:
        volume = self._volume(call, params["VolumeId"])
        if volume["Attachments"]:
            raise AWSError("VolumeInUse", f"Volume {volume['VolumeId']} is currently attached to "
                                          f"{volume['Attachments'][0]['InstanceId']}")
        last = self._before_deleting(call, [("AWS::EC2::Volume", volume["VolumeId"])])
        call.db.execute("UPDATE ec2_volumes SET deleted_at = ? WHERE volume_id = ?", [call.time, volume["VolumeId"]])
        self._publish(call, [], last)
        return None
