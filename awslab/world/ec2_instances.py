"""Instances: RunInstances, DescribeInstances, Start/Stop/Reboot/TerminateInstances,
Monitor/UnmonitorInstances, and the lifecycle on the lab clock.

The lifecycle (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html):
pending → running → stopping → stopped → pending …; any state → shutting-down → terminated.
Each change is stored as a row of ``ec2_instance_states`` with the instant it takes effect, so a
call writes the transitional state now and the settled state ``TRANSITIONS`` later; a catch-up
job announces the settled state when the clock reaches it (``ec2_instance_state_changed`` and
``resource_changed``). Stopping an instance releases its public IPv4 address; starting it again
assigns a new one. A terminated instance's root and DeleteOnTermination volumes are deleted and
its primary network interface with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from . import ec2_catalog as catalog
from .ec2_common import (apply_filters, check_ids, instance_not_found, invalid_value,
                         paginate, store_tags, tags_for)
from .ec2_instance_view import INSTANCE_FILTERS, user_initiated
from .ec2_network import public_ip
from .ec2_tables import STATE_AT_SQL

MAX_LAB_INSTANCES = 200
"""How many instances may be pending or running at once in a region (the lab's instance limit)."""

SHUTDOWN_REASON = ("Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown")


class InstancesMixin:
    """Handlers for instances (mixed into Ec2Service)."""

    # ------------------------------------------------------------------ launching
    def run_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        params = self._with_launch_template(call, params)
        low, high = params["MinCount"], params["MaxCount"]
        if low < 1:
            raise invalid_value(f"Value ({low}) for parameter minCount is invalid. Expected a positive integer.")
        if high < low:
            raise invalid_value(f"Value ({high}) for parameter maxCount is invalid. "
                                "Expected a value greater than or equal to minCount.")
        if "ImageId" not in params:
            raise AWSError("MissingParameter", "The request must contain the parameter ImageId")
        check_ids([params["ImageId"]], "ami")
        image = catalog.image_for(params["ImageId"])
        type_name = params.get("InstanceType", "m1.small")
        kind = catalog.instance_type(type_name)
        if kind is None:
            raise invalid_value(f"Invalid value '{type_name}' for InstanceType.")
        active = call.db.execute(f"SELECT count(*) FROM ({self._state_sql()}) s JOIN ec2_instances i USING "
                                 "(instance_id) WHERE i.region = $region AND s.state IN ('pending', 'running')",
                                 {"at": call.time, "region": call.region}).fetchone()[0]
        if active + low > MAX_LAB_INSTANCES:
            raise AWSError("InstanceLimitExceeded",
                           f"You have requested more instances ({active + low}) than your current instance limit "
                           f"of {MAX_LAB_INSTANCES} allows for the specified instance type. Please visit "
                           "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.")
        count = high if active + high <= MAX_LAB_INSTANCES else MAX_LAB_INSTANCES - active
        interfaces = params.get("NetworkInterfaces") or [{}]
        primary = next((n for n in interfaces if n.get("DeviceIndex", 0) == 0), interfaces[0])
        subnet = self._launch_subnet(call, params, primary)
        group_ids = self._resolve_groups(call, subnet["vpc_id"],
                                         list(params.get("SecurityGroupIds") or []) + list(primary.get("Groups") or []),
                                         list(params.get("SecurityGroups") or []))
        public = primary.get("AssociatePublicIpAddress", subnet["map_public_ip_on_launch"])
        allowed = ("instance", "volume", "network-interface")
        service = call.principal.kind == "AWSService"
        instance_tags = tags_for(params.get("TagSpecifications"), "instance", allowed, allow_reserved=service)
        volume_tags = tags_for(params.get("TagSpecifications"), "volume", allowed, allow_reserved=service)
        eni_tags = tags_for(params.get("TagSpecifications"), "network-interface", allowed, allow_reserved=service)
        devices = self._launch_devices(call, image, params.get("BlockDeviceMappings") or [])
        profile = params.get("IamInstanceProfile") or {}
        profile_arn = profile.get("Arn") or (f"arn:aws:iam::{call.account_id}:instance-profile/{profile['Name']}"
                                             if profile.get("Name") else None)
        launch = {
            "image": image, "kind": kind, "subnet": subnet, "group_ids": group_ids, "public": public, "primary": primary,
            "instance_tags": instance_tags, "volume_tags": volume_tags, "eni_tags": eni_tags, "devices": devices,
            "profile_arn": profile_arn, "params": params, "count": count,
            "detailed": bool((params.get("Monitoring") or {}).get("Enabled", False)),
            "reservation_id": self._new_id(call.region, call.account_id, "r"),
            "requester": call.principal.name if service else None,
            "workload": self._workload_from_tags(instance_tags),
        }
        changes: list[tuple[str, str, str]] = []
        instance_ids = []
        for index in range(count):
            instance_id, created = self._launch_one(call, launch, index)
            instance_ids.append(instance_id)
            changes += created
        changes += [("AWS::EC2::SecurityGroup", g, "updated") for g in group_ids]
        changes += [("AWS::EC2::Subnet", subnet["subnet_id"], "updated"), ("AWS::EC2::VPC", subnet["vpc_id"], "updated")]
        self._publish(call, changes)
        instances = self._instances(call.region, call.account_id, call.time, instance_ids)
        return self._reservations(call.region, call.account_id, instances)[0]

    def _launch_one(self, call: Call, launch: dict[str, Any], index: int) -> tuple[str, list[tuple[str, str, str]]]:
        """One instance of a RunInstances call: its interface, row, first state, workload and volumes."""
        db, params, subnet, kind, image = call.db, launch["params"], launch["subnet"], launch["kind"], launch["image"]
        primary = launch["primary"]
        instance_id = self._new_id(call.region, call.account_id, "i")
        eni_id = self._insert_eni(call, subnet, launch["group_ids"],
                                  primary.get("Description", "Primary network interface")
                                  if params.get("NetworkInterfaces") else "",
                                  (primary.get("PrivateIpAddress") or params.get("PrivateIpAddress"))
                                  if launch["count"] == 1 else None)
        db.execute("UPDATE ec2_network_interfaces SET attachment_id = ?, instance_id = ?, device_index = 0, "
                   "attach_time = ?, delete_on_termination = TRUE WHERE eni_id = ?",
                   [self._new_id(call.region, call.account_id, "eni-attach"), instance_id, call.time, eni_id])
        private_ip = db.execute("SELECT private_ip FROM ec2_network_interfaces WHERE eni_id = ?", [eni_id]).fetchone()[0]
        address = public_ip(call.account_id, call.region, instance_id, call.time) if launch["public"] else None
        db.execute(
            "INSERT INTO ec2_instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?)",
            [instance_id, call.region, call.account_id, launch["reservation_id"], launch["requester"], image.image_id,
             image.platform, kind.architecture, kind.name, kind.hypervisor, kind.instance_store, kind.network_scale,
             subnet["subnet_id"], subnet["vpc_id"], subnet["availability_zone"], private_ip, address, eni_id,
             index, params.get("KeyName"), launch["profile_arn"], bool(params.get("EbsOptimized", False)),
             params.get("ClientToken"), image.root_device_name,
             params.get("InstanceInitiatedShutdownBehavior", "stop"), call.time, "", None, None])
        db.execute("INSERT INTO ec2_monitoring VALUES (?, ?, ?)", [instance_id, call.time, launch["detailed"]])
        self._store_workload(instance_id, call.time, launch["workload"])
        self._enter_state(call, instance_id, "pending", None)
        store_tags(db, call.region, call.account_id, instance_id, launch["instance_tags"])
        store_tags(db, call.region, call.account_id, eni_id, launch["eni_tags"])
        created = [("AWS::EC2::Instance", instance_id, "created"), ("AWS::EC2::NetworkInterface", eni_id, "created")]
        for device in launch["devices"]:
            volume_id = self._create_launch_volume(call, subnet["availability_zone"], device)
            db.execute("INSERT INTO ec2_volume_attachments VALUES (?, ?, ?, ?, ?, NULL)",
                       [volume_id, instance_id, device["device"], call.time, device["delete_on_termination"]])
            store_tags(db, call.region, call.account_id, volume_id, launch["volume_tags"])
            created.append(("AWS::EC2::Volume", volume_id, "created"))
        return instance_id, created

    def _launch_subnet(self, call: Call, params: dict[str, Any], primary: dict[str, Any]) -> dict[str, Any]:
        subnet_id = params.get("SubnetId") or primary.get("SubnetId")
        if subnet_id:
            return self._subnet_row(call.region, call.account_id, call.time, subnet_id)
        vpc_id = self._default_vpc_id(call.region, call.account_id)
        if vpc_id is None:
            raise AWSError("VPCResourceNotSpecified", "The specified instance type can only be used in a VPC. "
                           "A subnet ID or network interface ID is required to carry out the request.")
        zone = (params.get("Placement") or {}).get("AvailabilityZone")
        found = call.db.execute("SELECT subnet_id FROM ec2_subnets WHERE vpc_id = ? AND default_for_az "
                                "AND deleted_at IS NULL AND (? IS NULL OR availability_zone = ?) "
                                "ORDER BY availability_zone LIMIT 1", [vpc_id, zone, zone]).fetchone()
        if found is None:
            raise AWSError("MissingInput", f"No subnets found for the default VPC '{vpc_id}'. Please specify a subnet.")
        return self._subnet_row(call.region, call.account_id, call.time, found[0])

    # ------------------------------------------------------------------ lifecycle
    def _state_sql(self) -> str:
        return STATE_AT_SQL

    def _enter_state(self, call: Call, instance_id: str, state: str, previous: str | None) -> None:
        """Record a change that starts now: drop any transition still to come, write the new state
        (announced with the call) and the state it settles into later (announced by the job)."""
        db = call.db
        db.execute("DELETE FROM ec2_instance_states WHERE instance_id = ? AND entered_at > ?", [instance_id, call.time])
        db.execute("INSERT INTO ec2_instance_states VALUES (?, ?, ?, ?, ?, ?, TRUE)",
                   [instance_id, call.region, call.account_id, state, call.time, self._next_number()])
        call.publish("ec2_instance_state_changed", {"instance_id": instance_id, "state": state,
                                                    "previous_state": previous, "time": call.time})
        if state in catalog.TRANSITIONS:
            settled, takes = catalog.TRANSITIONS[state]
            db.execute("INSERT INTO ec2_instance_states VALUES (?, ?, ?, ?, ?, ?, FALSE)",
                       [instance_id, call.region, call.account_id, settled, call.time + takes, self._next_number()])

    def _current(self, call: Call, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The instances ``ids`` as they are now, or InvalidInstanceID.NotFound naming every missing one."""
        check_ids(ids, "i")
        found = {r["instance_id"]: r for r in self._instance_rows(call.region, call.account_id, call.time, ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise instance_not_found(missing)
        return found

    def _state_change(self, instance_id: str, current: str, previous: str) -> dict[str, Any]:
        return {"CurrentState": {"Code": catalog.STATE_CODES[current], "Name": current}, "InstanceId": instance_id,
                "PreviousState": {"Code": catalog.STATE_CODES[previous], "Name": previous}}

    def start_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = list(dict.fromkeys(params["InstanceIds"]))
        found = self._current(call, ids)
        for instance_id in ids:
            if found[instance_id]["state"] not in ("stopped", "pending", "running"):
                raise AWSError("IncorrectInstanceState",
                               f"The instance '{instance_id}' is not in a state from which it can be started.")
        changes = []
        for instance_id in ids:
            r = found[instance_id]
            if r["state"] != "stopped":
                changes.append(self._state_change(instance_id, r["state"], r["state"]))
                continue
            subnet_public = call.db.execute("SELECT map_public_ip_on_launch FROM ec2_subnets WHERE subnet_id = ?",
                                            [r["subnet_id"]]).fetchone()[0]
            address = public_ip(call.account_id, call.region, instance_id, call.time) if subnet_public else None
            # LaunchTime is the time the instance was last started (API_Instance)
            call.db.execute("UPDATE ec2_instances SET public_ip = ?, state_transition_reason = '', launch_time = ?, "
                            "state_reason_code = NULL, state_reason_message = NULL WHERE instance_id = ?",
                            [address, call.time, instance_id])
            self._enter_state(call, instance_id, "pending", "stopped")
            self._publish(call, [("AWS::EC2::Instance", instance_id, "updated")])
            changes.append(self._state_change(instance_id, "pending", "stopped"))
        return {"StartingInstances": changes}

    def stop_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = list(dict.fromkeys(params["InstanceIds"]))
        found = self._current(call, ids)
        for instance_id in ids:
            r = found[instance_id]
            if r["state"] == "pending" and not r["ever_running"]:
                raise AWSError("IncorrectInstanceState", f"Instance '{instance_id}' cannot be stopped as it has "
                                                         "never reached the 'running' state.")
            if r["state"] in ("pending", "shutting-down", "terminated"):
                raise AWSError("IncorrectInstanceState",
                               f"This instance '{instance_id}' is not in a state from which it can be stopped.")
        changes = []
        for instance_id in ids:
            r = found[instance_id]
            if r["state"] != "running":
                changes.append(self._state_change(instance_id, r["state"], r["state"]))
                continue
            call.db.execute("UPDATE ec2_instances SET public_ip = NULL, state_transition_reason = ?, "
                            "state_reason_code = ?, state_reason_message = ? WHERE instance_id = ?",
                            [user_initiated(call.time), *SHUTDOWN_REASON, instance_id])
            self._enter_state(call, instance_id, "stopping", "running")
            self._publish(call, [("AWS::EC2::Instance", instance_id, "updated")])
            changes.append(self._state_change(instance_id, "stopping", "running"))
        return {"StoppingInstances": changes}

    def modify_instance_attribute(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """Change a stopped instance's type (the one attribute the lab models).

        https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/change-instance-type-of-ebs-backed-instance.html
        """
        instance_id = params["InstanceId"]
        r = self._current(call, [instance_id])[instance_id]
        type_name = (params.get("InstanceType") or {}).get("Value")
        if type_name is None and params.get("Attribute") == "instanceType":
            type_name = params.get("Value")
        others = sorted(k for k in params if k not in ("InstanceId", "InstanceType", "Attribute", "Value", "DryRun"))
        if type_name is None or others:
            raise AWSError("NotImplemented", "awslab models ModifyInstanceAttribute for InstanceType only",
                           501, sender_fault=False)
        kind = catalog.instance_type(type_name)
        if kind is None:
            raise invalid_value(f"Invalid value '{type_name}' for InstanceType.")
        if r["state"] != "stopped":
            raise AWSError("IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state.")
        if kind.architecture != r["architecture"]:  # AWS refuses this; the wording is the lab's
            raise invalid_value(f"The instance type '{type_name}' does not support the '{r['architecture']}' "
                                "architecture of the instance's AMI.")
        call.db.execute("UPDATE ec2_instances SET instance_type = ?, hypervisor = ?, instance_store = ?, "
                        "network_scale = ? WHERE instance_id = ?",
                        [kind.name, kind.hypervisor, kind.instance_store, kind.network_scale, instance_id])
        self._publish(call, [("AWS::EC2::Instance", instance_id, "updated")])
        return {}

    def terminate_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = list(dict.fromkeys(params["InstanceIds"]))
        found = self._current(call, ids)
        changes = []
        for instance_id in ids:
            r = found[instance_id]
            if r["state"] in ("shutting-down", "terminated"):
                changes.append(self._state_change(instance_id, r["state"], r["state"]))
                continue
            ends = call.time + catalog.TRANSITIONS["shutting-down"][1]
            call.db.execute("UPDATE ec2_instances SET public_ip = NULL, state_transition_reason = ?, "
                            "state_reason_code = ?, state_reason_message = ? WHERE instance_id = ?",
                            [user_initiated(call.time), *SHUTDOWN_REASON, instance_id])
            self._enter_state(call, instance_id, "shutting-down", r["state"])
            self._release_on_termination(call, instance_id, ends)
            self._publish(call, [("AWS::EC2::Instance", instance_id, "updated")])
            changes.append(self._state_change(instance_id, "shutting-down", r["state"]))
        return {"TerminatingInstances": changes}

    def _release_on_termination(self, call: Call, instance_id: str, ends: datetime) -> None:
        """What goes with an instance when it reaches ``terminated`` at ``ends``: its Elastic IP now,
        its interfaces and DeleteOnTermination volumes then (announced by the job at ``ends``)."""
        db = call.db
        for (allocation_id,) in db.execute("SELECT allocation_id FROM ec2_addresses WHERE instance_id = ? "
                                           "AND released_at IS NULL", [instance_id]).fetchall():
            address = db.execute("SELECT allocation_id, eni_id, instance_id FROM ec2_addresses WHERE allocation_id = ?",
                                 [allocation_id]).fetchone()
            self._disassociate(call, dict(zip(("allocation_id", "eni_id", "instance_id"), address)))
        later: list[tuple[str, str, str]] = []
        for volume_id, doomed in db.execute("SELECT volume_id, delete_on_termination FROM ec2_volume_attachments "
                                            "WHERE instance_id = ? AND detached_at IS NULL", [instance_id]).fetchall():
            if doomed:
                db.execute("UPDATE ec2_volumes SET deleted_at = ? WHERE volume_id = ?", [ends, volume_id])
            later.append(("AWS::EC2::Volume", volume_id, "deleted" if doomed else "updated"))
        db.execute("UPDATE ec2_volume_attachments SET detached_at = ? WHERE instance_id = ? AND detached_at IS NULL",
                   [ends, instance_id])
        for eni_id, group_ids in db.execute(
                "SELECT e.eni_id, list(g.group_id) FROM ec2_network_interfaces e LEFT JOIN ec2_network_interface_groups g "
                "USING (eni_id) WHERE e.instance_id = ? AND e.deleted_at IS NULL GROUP BY e.eni_id",
                [instance_id]).fetchall():
            db.execute("UPDATE ec2_network_interfaces SET deleted_at = ? WHERE eni_id = ?", [ends, eni_id])
            later.append(("AWS::EC2::NetworkInterface", eni_id, "deleted"))
            later += [("AWS::EC2::SecurityGroup", g, "updated") for g in group_ids if g]
        for resource_type, resource_id, status in later:
            db.execute("INSERT INTO ec2_scheduled_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [ends, self._next_number(), call.region, call.account_id, resource_type, resource_id, status])

    def reboot_instances(self, call: Call, params: dict[str, Any]) -> None:
        ids = list(dict.fromkeys(params["InstanceIds"]))
        found = self._current(call, ids)
        for instance_id in ids:
            if found[instance_id]["state"] in ("shutting-down", "terminated"):
                raise AWSError("IncorrectInstanceState",
                               f"The instance '{instance_id}' is not in a state from which it can be rebooted.")
        return None

    # ------------------------------------------------------------------ monitoring
    def _set_monitoring(self, call: Call, ids: list[str], detailed: bool) -> dict[str, Any]:
        found = self._current(call, list(dict.fromkeys(ids)))
        result = []
        for instance_id in dict.fromkeys(ids):
            if found[instance_id]["state"] == "terminated":
                raise AWSError("IncorrectInstanceState",
                               f"The instance '{instance_id}' is not in a state from which it can be monitored.")
            # the latest setting of an instant wins (the metrics job reads the history as of each minute)
            call.db.execute("DELETE FROM ec2_monitoring WHERE instance_id = ? AND effective_from = ?",
                            [instance_id, call.time])
            call.db.execute("INSERT INTO ec2_monitoring VALUES (?, ?, ?)", [instance_id, call.time, detailed])
            self._publish(call, [("AWS::EC2::Instance", instance_id, "updated")])
            result.append({"InstanceId": instance_id, "Monitoring": {"State": "pending" if detailed else "disabling"}})
        return {"InstanceMonitorings": result}

    def monitor_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_monitoring(call, params["InstanceIds"], True)

    def unmonitor_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_monitoring(call, params["InstanceIds"], False)

    # ------------------------------------------------------------------ describing
    def describe_instances(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = list(params.get("InstanceIds") or []) or None
        if ids and params.get("MaxResults") is not None:
            raise AWSError("InvalidParameterCombination",
                           "The parameter instancesSet cannot be used with the parameter maxResults")
        if ids:
            self._current(call, ids)
        instances = apply_filters(self._instances(call.region, call.account_id, call.time, ids),
                                  params.get("Filters"), INSTANCE_FILTERS)
        reservations = self._reservations(call.region, call.account_id, instances)
        return paginate(reservations, params, "Reservations")

    def describe_instance_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """Status checks as DescribeInstanceStatus reports them: running instances by default,
        every instance with IncludeAllInstances. A workload incident of kind "instance" or
        "system" fails the matching check while it lasts."""
        ids = list(params.get("InstanceIds") or []) or None
        if ids:
            self._current(call, ids)
        statuses = []
        for r in self._instance_rows(call.region, call.account_id, call.time, ids):
            if r["state"] != "running" and not params.get("IncludeAllInstances"):
                continue
            failing = self._failing_check(r["instance_id"], call.time) if r["state"] == "running" else None
            initialising = r["state"] == "running" and call.time < r["state_since"] + catalog.STATUS_CHECKS_AFTER

            def summary(check: str) -> dict[str, Any]:
                if r["state"] != "running":
                    return {"Status": "not-applicable"}
                if initialising:
                    return {"Status": "initializing", "Details": [{"Name": "reachability", "Status": "initializing"}]}
                bad = failing == check
                return {"Status": "impaired" if bad else "ok",
                        "Details": [{"Name": "reachability", "Status": "failed" if bad else "passed"}]}
            statuses.append({"AvailabilityZone": r["availability_zone"], "InstanceId": r["instance_id"],
                             "InstanceState": {"Code": catalog.STATE_CODES[r["state"]], "Name": r["state"]},
                             "InstanceStatus": summary("instance"), "SystemStatus": summary("system")})
        statuses = apply_filters(statuses, params.get("Filters"), {
            "instance-state-name": lambda s: [s["InstanceState"]["Name"]],
            "availability-zone": lambda s: [s["AvailabilityZone"]],
            "instance-status.status": lambda s: [s["InstanceStatus"]["Status"]],
            "system-status.status": lambda s: [s["SystemStatus"]["Status"]],
        })
        return paginate(statuses, params, "InstanceStatuses")
