"""Auto Scaling: groups that keep a desired number of lab instances, and scaling policies.

https://docs.aws.amazon.com/autoscaling/ec2/APIReference/Welcome.html
https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html

Auto Scaling acts on EC2 through the lab's API as ``autoscaling.amazonaws.com`` (RunInstances,
TerminateInstances), so CloudTrail shows those calls as AWS does. Every minute on the lab
clock, each group whose instance count differs from its desired capacity launches or
terminates the difference and records a scaling activity. Instances come from a launch
configuration, or from an EC2 launch template when the lab's EC2 offers one. Termination
picks the oldest instance first (the default policy's later tie-breakers, simplified).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..errors import AWSError
from ..gateway import Call
from ..service import Service

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS autoscaling_launch_configurations (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, arn VARCHAR NOT NULL,
        settings JSON NOT NULL, created TIMESTAMPTZ NOT NULL, PRIMARY KEY (region, account_id, name))""",
    """CREATE TABLE IF NOT EXISTS autoscaling_groups (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, arn VARCHAR NOT NULL,
        launch_configuration VARCHAR, launch_template JSON, min_size INTEGER NOT NULL, max_size INTEGER NOT NULL,
        desired INTEGER NOT NULL, default_cooldown INTEGER NOT NULL, subnets JSON NOT NULL, zones JSON NOT NULL,
        created TIMESTAMPTZ NOT NULL, last_scaling TIMESTAMPTZ, tags JSON, PRIMARY KEY (region, account_id, name))""",
    """CREATE TABLE IF NOT EXISTS autoscaling_instances (
        region VARCHAR NOT NULL, group_name VARCHAR NOT NULL, instance_id VARCHAR NOT NULL, zone VARCHAR,
        instance_type VARCHAR, launched TIMESTAMPTZ NOT NULL, lifecycle_state VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS autoscaling_policies (
        region VARCHAR NOT NULL, group_name VARCHAR NOT NULL, name VARCHAR NOT NULL, arn VARCHAR NOT NULL,
        settings JSON NOT NULL, PRIMARY KEY (region, group_name, name))""",
    """CREATE TABLE IF NOT EXISTS autoscaling_activities (
        region VARCHAR NOT NULL, group_name VARCHAR NOT NULL, activity_id VARCHAR NOT NULL, description VARCHAR,
        cause VARCHAR, start_time TIMESTAMPTZ NOT NULL, end_time TIMESTAMPTZ, status VARCHAR NOT NULL)""",
]
SERVICE = "autoscaling.amazonaws.com"


def _no_group(name: str) -> AWSError:
    return AWSError("ValidationError", f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class AutoScalingService(Service):
    answers = ("autoscaling",)

    def setup(self) -> None:
        for statement in SCHEMA:
            self.lab.db.execute(statement)
        self.lab.scheduler.every("autoscaling capacity", timedelta(minutes=1), self._reconcile,
                                 is_active=self._needs_work, order=40)

    def tables(self) -> dict[str, str]:
        return {"autoscaling_launch_configurations": "launch configurations: what a group launches",
                "autoscaling_groups": "one row per Auto Scaling group: min, max and desired capacity",
                "autoscaling_instances": "the instances each group launched and still holds",
                "autoscaling_policies": "simple and step scaling policies (alarm actions execute them)",
                "autoscaling_activities": "scaling activities: launches and terminations with their causes"}

    # ------------------------------------------------------------------ helpers
    def _group(self, db, region: str, account: str, name: str) -> dict[str, Any]:
        cursor = db.execute("SELECT * FROM autoscaling_groups WHERE region = ? AND account_id = ? AND name = ?",
                            [region, account, name])
        row = cursor.fetchone()
        if row is None:
            raise _no_group(name)
        return dict(zip([c[0] for c in cursor.description], row))

    def _activity(self, db, region: str, group: str, description: str, cause: str, time: datetime,
                  seed: str) -> None:
        activity_id = str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))
        db.execute("INSERT INTO autoscaling_activities VALUES (?, ?, ?, ?, ?, ?, ?, 'Successful')",
                   [region, group, activity_id, description, cause, time, time])

    def _set_desired(self, call: Call, group: dict[str, Any], desired: int, reason: str) -> None:
        if not group["min_size"] <= desired <= group["max_size"]:
            raise AWSError("ValidationError", f"New SetDesiredCapacity value {desired} is below min value "
                           f"{group['min_size']} for the AutoScalingGroup." if desired < group["min_size"] else
                           f"New SetDesiredCapacity value {desired} is above max value {group['max_size']} for the "
                           "AutoScalingGroup.")
        call.db.execute("UPDATE autoscaling_groups SET desired = ?, last_scaling = ? WHERE region = ? AND "
                        "account_id = ? AND name = ?", [desired, call.time, call.region, call.account_id, group["name"]])
        self._causes[(call.region, group["name"])] = (
            f"At {_iso(call.time)} {reason} changing the desired capacity from {group['desired']} to {desired}.")

    # ------------------------------------------------------------------ launch configurations
    def create_launch_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["LaunchConfigurationName"]
        if call.db.execute("SELECT 1 FROM autoscaling_launch_configurations WHERE region = ? AND account_id = ? AND "
                           "name = ?", [call.region, call.account_id, name]).fetchone():
            raise AWSError("AlreadyExists", f"Launch Configuration by this name already exists - A launch "
                           f"configuration already exists with the name {name}")
        if "ImageId" not in params or "InstanceType" not in params:
            raise AWSError("ValidationError", "Both ImageId and InstanceType are required.")
        arn = (f"arn:aws:autoscaling:{call.region}:{call.account_id}:launchConfiguration:"
               f"{uuid.UUID(bytes=hashlib.sha256(call.event_id.encode()).digest()[:16], version=4)}:"
               f"launchConfigurationName/{name}")
        call.db.execute("INSERT INTO autoscaling_launch_configurations VALUES (?, ?, ?, ?, ?, ?)",
                        [call.region, call.account_id, name, arn, json.dumps(params, default=str), call.time])
        return {}

    def describe_launch_configurations(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("LaunchConfigurationNames") or []
        rows = call.db.execute("SELECT name, arn, settings, created FROM autoscaling_launch_configurations WHERE "
                               "region = ? AND account_id = ? ORDER BY name", [call.region, call.account_id]).fetchall()
        shown = []
        for name, arn, settings, created in rows:
            if wanted and name not in wanted:
                continue
            s = json.loads(settings)
            shown.append({"LaunchConfigurationName": name, "LaunchConfigurationARN": arn, "ImageId": s["ImageId"],
                          "InstanceType": s["InstanceType"], "SecurityGroups": s.get("SecurityGroups", []),
                          "InstanceMonitoring": s.get("InstanceMonitoring", {"Enabled": True}),
                          "CreatedTime": created, "KeyName": s.get("KeyName", ""), "UserData": s.get("UserData", ""),
                          "KernelId": "", "RamdiskId": "", "BlockDeviceMappings": []})
        return {"LaunchConfigurations": shown}

    def delete_launch_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["LaunchConfigurationName"]
        if call.db.execute("SELECT 1 FROM autoscaling_groups WHERE region = ? AND launch_configuration = ?",
                           [call.region, name]).fetchone():
            raise AWSError("ResourceInUse", "Cannot delete launch configuration "
                           f"{name} because it is attached to AutoScalingGroup")
        call.db.execute("DELETE FROM autoscaling_launch_configurations WHERE region = ? AND account_id = ? AND name = ?",
                        [call.region, call.account_id, name])
        return {}

    # ------------------------------------------------------------------ groups
    def create_auto_scaling_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AutoScalingGroupName"]
        if call.db.execute("SELECT 1 FROM autoscaling_groups WHERE region = ? AND account_id = ? AND name = ?",
                           [call.region, call.account_id, name]).fetchone():
            raise AWSError("AlreadyExists", f"AutoScalingGroup by this name already exists - A group with the name "
                           f"{name} already exists")
        config, template = params.get("LaunchConfigurationName"), params.get("LaunchTemplate")
        if bool(config) == bool(template):
            raise AWSError("ValidationError", "Valid requests must contain either LaunchTemplate, "
                           "LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
        if config and not call.db.execute("SELECT 1 FROM autoscaling_launch_configurations WHERE region = ? AND "
                                          "name = ?", [call.region, config]).fetchone():
            raise AWSError("ValidationError", f"Launch configuration name not found - Launch configuration {config} "
                           "not found")
        if template:
            lookup = {k: [v] for k, v in (("LaunchTemplateIds", template.get("LaunchTemplateId")),
                                          ("LaunchTemplateNames", template.get("LaunchTemplateName"))) if v}
            try:
                self.lab.service_client("ec2", SERVICE, call.region).describe_launch_templates(**lookup)
            except ClientError as error:
                raise AWSError("ValidationError", "You must use a valid fully-formed launch template. "
                               + error.response["Error"]["Message"]) from error
        low, high = params["MinSize"], params["MaxSize"]
        desired = params.get("DesiredCapacity", low)
        if low > high:
            raise AWSError("ValidationError", "Max bound, " + str(high) + ", must be greater than or equal to min "
                           "bound, " + str(low))
        if not low <= desired <= high:
            raise AWSError("ValidationError", f"Desired capacity:{desired} must be between the specified min size:"
                           f"{low} and max size:{high}")
        subnets = [s for s in (params.get("VPCZoneIdentifier") or "").split(",") if s]
        zones = params.get("AvailabilityZones") or ([] if subnets else [f"{call.region}a"])
        arn = (f"arn:aws:autoscaling:{call.region}:{call.account_id}:autoScalingGroup:"
               f"{uuid.UUID(bytes=hashlib.sha256(call.event_id.encode()).digest()[:16], version=4)}:"
               f"autoScalingGroupName/{name}")
        call.db.execute("INSERT INTO autoscaling_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                        [call.region, call.account_id, name, arn, config, json.dumps(template) if template else None,
                         low, high, desired, params.get("DefaultCooldown", 300), json.dumps(subnets), json.dumps(zones),
                         call.time, json.dumps(params.get("Tags") or [])])
        self._causes[(call.region, name)] = (f"At {_iso(call.time)} a user request created an AutoScalingGroup "
                                             f"changing the desired capacity from 0 to {desired}.")
        return {}

    def describe_auto_scaling_groups(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("AutoScalingGroupNames") or []
        cursor = call.db.execute("SELECT * FROM autoscaling_groups WHERE region = ? AND account_id = ? ORDER BY name",
                                 [call.region, call.account_id])
        names = [c[0] for c in cursor.description]
        shown = []
        for row in cursor.fetchall():
            g = dict(zip(names, row))
            if wanted and g["name"] not in wanted:
                continue
            instances = call.db.execute("SELECT instance_id, zone, instance_type, lifecycle_state FROM "
                                        "autoscaling_instances WHERE region = ? AND group_name = ? ORDER BY launched, "
                                        "instance_id", [call.region, g["name"]]).fetchall()
            group: dict[str, Any] = {
                "AutoScalingGroupName": g["name"], "AutoScalingGroupARN": g["arn"], "MinSize": g["min_size"],
                "MaxSize": g["max_size"], "DesiredCapacity": g["desired"], "DefaultCooldown": g["default_cooldown"],
                "AvailabilityZones": json.loads(g["zones"]) or sorted({i[1] for i in instances if i[1]}),
                "HealthCheckType": "EC2", "CreatedTime": g["created"], "VPCZoneIdentifier": ",".join(json.loads(g["subnets"])),
                "Instances": [{"InstanceId": i, "AvailabilityZone": z or "", "InstanceType": t or "",
                               "LifecycleState": s, "HealthStatus": "Healthy", "ProtectedFromScaleIn": False}
                              | ({"LaunchConfigurationName": g["launch_configuration"]} if g["launch_configuration"] else {})
                              for i, z, t, s in instances],
                "Tags": [{**t, "ResourceId": g["name"], "ResourceType": "auto-scaling-group",
                          "PropagateAtLaunch": t.get("PropagateAtLaunch", False)} for t in json.loads(g["tags"] or "[]")],
                "TerminationPolicies": ["Default"], "NewInstancesProtectedFromScaleIn": False,
                "ServiceLinkedRoleARN": f"arn:aws:iam::{call.account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
                                        "AWSServiceRoleForAutoScaling"}
            if g["launch_configuration"]:
                group["LaunchConfigurationName"] = g["launch_configuration"]
            if g["launch_template"]:
                group["LaunchTemplate"] = json.loads(g["launch_template"])
            shown.append(group)
        return {"AutoScalingGroups": shown}

    def update_auto_scaling_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(call.db, call.region, call.account_id, params["AutoScalingGroupName"])
        low, high = params.get("MinSize", group["min_size"]), params.get("MaxSize", group["max_size"])
        desired = params.get("DesiredCapacity", min(max(group["desired"], low), high))
        if low > high or not low <= desired <= high:
            raise AWSError("ValidationError", f"Desired capacity:{desired} must be between the specified min size:"
                           f"{low} and max size:{high}")
        call.db.execute("UPDATE autoscaling_groups SET min_size = ?, max_size = ? WHERE region = ? AND name = ?",
                        [low, high, call.region, group["name"]])
        if desired != group["desired"]:
            group.update(min_size=low, max_size=high)
            self._set_desired(call, group, desired, "a user request update of AutoScalingGroup constraints to "
                              f"min: {low}, max: {high}, desired: {desired}")
        return {}

    def set_desired_capacity(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(call.db, call.region, call.account_id, params["AutoScalingGroupName"])
        self._set_desired(call, group, params["DesiredCapacity"], "a user request explicitly set group desired capacity")
        return {}

    def delete_auto_scaling_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(call.db, call.region, call.account_id, params["AutoScalingGroupName"])
        held = [r[0] for r in call.db.execute("SELECT instance_id FROM autoscaling_instances WHERE region = ? AND "
                                              "group_name = ?", [call.region, group["name"]]).fetchall()]
        if held and not params.get("ForceDelete"):
            raise AWSError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or "
                           "pending Spot instance request(s) still in the group.")
        if held:
            self.lab.service_client("ec2", SERVICE, call.region).terminate_instances(InstanceIds=held)
        for table in ("autoscaling_instances", "autoscaling_policies"):
            call.db.execute(f"DELETE FROM {table} WHERE region = ? AND group_name = ?", [call.region, group["name"]])
        call.db.execute("DELETE FROM autoscaling_groups WHERE region = ? AND name = ?", [call.region, group["name"]])
        return {}

    # ------------------------------------------------------------------ policies
    def put_scaling_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(call.db, call.region, call.account_id, params["AutoScalingGroupName"])
        kind = params.get("PolicyType", "SimpleScaling")
        if kind not in ("SimpleScaling", "StepScaling"):
            raise AWSError("ValidationError", f"awslab simulates SimpleScaling and StepScaling policies, not {kind}")
        if kind == "SimpleScaling" and "ScalingAdjustment" not in params:
            raise AWSError("ValidationError", "ScalingAdjustment is required for SimpleScaling policy type.")
        if kind == "StepScaling" and not params.get("StepAdjustments"):
            raise AWSError("ValidationError", "StepAdjustments is required for StepScaling policy type.")
        if params.get("AdjustmentType", "ChangeInCapacity") not in ("ChangeInCapacity", "ExactCapacity",
                                                                     "PercentChangeInCapacity"):
            raise AWSError("ValidationError", "Invalid AdjustmentType")
        arn = (f"arn:aws:autoscaling:{call.region}:{call.account_id}:scalingPolicy:"
               f"{uuid.UUID(bytes=hashlib.sha256(call.event_id.encode()).digest()[:16], version=4)}:"
               f"autoScalingGroupName/{group['name']}:policyName/{params['PolicyName']}")
        existing = call.db.execute("SELECT arn FROM autoscaling_policies WHERE region = ? AND group_name = ? AND name = ?",
                                   [call.region, group["name"], params["PolicyName"]]).fetchone()
        arn = existing[0] if existing else arn
        call.db.execute("INSERT OR REPLACE INTO autoscaling_policies VALUES (?, ?, ?, ?, ?)",
                        [call.region, group["name"], params["PolicyName"], arn, json.dumps(params, default=str)])
        return {"PolicyARN": arn, "Alarms": []}

    def describe_policies(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rows = call.db.execute("SELECT group_name, name, arn, settings FROM autoscaling_policies WHERE region = ? "
                               "ORDER BY group_name, name", [call.region]).fetchall()
        shown = []
        for group, name, arn, settings in rows:
            s = json.loads(settings)
            if params.get("AutoScalingGroupName") not in (None, group) or (params.get("PolicyNames") and name not in
                                                                            params["PolicyNames"]):
                continue
            policy = {"AutoScalingGroupName": group, "PolicyName": name, "PolicyARN": arn,
                      "PolicyType": s.get("PolicyType", "SimpleScaling"),
                      "AdjustmentType": s.get("AdjustmentType", "ChangeInCapacity"), "Alarms": [], "Enabled": True}
            for key in ("ScalingAdjustment", "Cooldown", "StepAdjustments", "MetricAggregationType",
                        "MinAdjustmentMagnitude", "EstimatedInstanceWarmup"):
                if key in s:
                    policy[key] = s[key]
            shown.append(policy)
        return {"ScalingPolicies": shown}

    def delete_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        call.db.execute("DELETE FROM autoscaling_policies WHERE region = ? AND (name = ? OR arn = ?)",
                        [call.region, params["PolicyName"], params["PolicyName"]])
        return {}

    def execute_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """Run a policy: what an alarm action does (CloudWatch passes MetricValue and BreachThreshold)."""
        name = params["PolicyName"]
        row = call.db.execute("SELECT group_name, settings FROM autoscaling_policies WHERE region = ? AND "
                              "(arn = ? OR (name = ? AND group_name = coalesce(?, group_name)))",
                              [call.region, name, name, params.get("AutoScalingGroupName")]).fetchone()
        if row is None:
            raise AWSError("ValidationError", f"No such policy: {name}")
        group = self._group(call.db, call.region, call.account_id, row[0])
        policy = json.loads(row[1])
        cooldown = policy.get("Cooldown", group["default_cooldown"])
        if (params.get("HonorCooldown", False) and policy.get("PolicyType", "SimpleScaling") == "SimpleScaling"
                and group["last_scaling"] and call.time < group["last_scaling"] + timedelta(seconds=cooldown)):
            raise AWSError("ScalingActivityInProgress", "Scaling activity is in progress and blocks this action")
        adjustment = self._adjustment(policy, params)
        kind = policy.get("AdjustmentType", "ChangeInCapacity")
        current = group["desired"]
        if kind == "ExactCapacity":
            target = adjustment
        elif kind == "PercentChangeInCapacity":
            change = current * adjustment / 100
            change = int(change) if abs(change) >= 1 else (1 if change > 0 else -1 if change < 0 else 0)
            change = change if abs(change) >= policy.get("MinAdjustmentMagnitude", 0) else \
                (policy["MinAdjustmentMagnitude"] if change > 0 else -policy["MinAdjustmentMagnitude"])
            target = current + change
        else:
            target = current + adjustment
        target = max(group["min_size"], min(group["max_size"], target))
        if target != current:
            self._set_desired(call, group, target, f"policy {policy['PolicyName']} executed")
        return {}

    @staticmethod
    def _adjustment(policy: dict[str, Any], params: dict[str, Any]) -> int:
        if policy.get("PolicyType", "SimpleScaling") == "SimpleScaling":
            return policy["ScalingAdjustment"]
        if "MetricValue" not in params or "BreachThreshold" not in params:
            raise AWSError("ValidationError", "MetricValue and BreachThreshold are required for a step scaling policy.")
        difference = params["MetricValue"] - params["BreachThreshold"]
        for step in policy["StepAdjustments"]:
            low = step.get("MetricIntervalLowerBound", float("-inf"))
            high = step.get("MetricIntervalUpperBound", float("inf"))
            if low <= difference < high or (difference == high == float("inf")):
                return step["ScalingAdjustment"]
        raise AWSError("ValidationError", "The metric value does not fall in any step adjustment interval.")

    def describe_scaling_activities(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rows = call.db.execute("SELECT group_name, activity_id, description, cause, start_time, end_time, status FROM "
                               "autoscaling_activities WHERE region = ? AND (? IS NULL OR group_name = ?) "
                               "ORDER BY start_time DESC, activity_id",
                               [call.region, params.get("AutoScalingGroupName"), params.get("AutoScalingGroupName")]).fetchall()
        return {"Activities": [{"ActivityId": a, "AutoScalingGroupName": g, "Description": d, "Cause": c,
                                "StartTime": s, "EndTime": e, "StatusCode": st, "Progress": 100, "Details": "{}"}
                               for g, a, d, c, s, e, st in rows]}

    # ------------------------------------------------------------------ capacity on the clock
    @property
    def _causes(self) -> dict[tuple[str, str], str]:
        return self.__dict__.setdefault("_cause_map", {})

    def _needs_work(self) -> bool:
        if not self.lab.db.execute("SELECT count(*) FROM autoscaling_groups").fetchone()[0]:
            return False  # the common case, checked on every scheduler step
        return bool(self.lab.db.execute(
            "SELECT count(*) FROM autoscaling_groups g WHERE desired <> (SELECT count(*) FROM autoscaling_instances i "
            "WHERE i.region = g.region AND i.group_name = g.name)").fetchone()[0]) or bool(self.lab.db.execute(
                "SELECT count(*) FROM autoscaling_instances WHERE lifecycle_state = 'Pending'").fetchone()[0])

    def _reconcile(self, instant: datetime) -> None:
        cursor = self.lab.db.execute("SELECT * FROM autoscaling_groups ORDER BY region, name")
        names = [c[0] for c in cursor.description]
        for row in cursor.fetchall():
            group = dict(zip(names, row))
            self._reconcile_group(group, instant)

    def _launch_settings(self, group: dict[str, Any]) -> dict[str, Any]:
        if group["launch_configuration"]:
            s = json.loads(self.lab.db.execute("SELECT settings FROM autoscaling_launch_configurations WHERE region = ? "
                                               "AND name = ?", [group["region"], group["launch_configuration"]]).fetchone()[0])
            settings = {"ImageId": s["ImageId"], "InstanceType": s["InstanceType"]}
            if s.get("SecurityGroups"):
                settings["SecurityGroupIds"] = s["SecurityGroups"]
            if "InstanceMonitoring" in s:
                settings["Monitoring"] = {"Enabled": s["InstanceMonitoring"].get("Enabled", True)}
            return settings
        template = json.loads(group["launch_template"])
        spec = {k: v for k, v in template.items() if k in ("LaunchTemplateId", "LaunchTemplateName", "Version")}
        return {"LaunchTemplate": spec}

    def _reconcile_group(self, group: dict[str, Any], instant: datetime) -> None:
        region, db = group["region"], self.lab.db
        ec2 = self.lab.service_client("ec2", SERVICE, region)
        held = db.execute("SELECT instance_id, lifecycle_state FROM autoscaling_instances WHERE region = ? AND "
                          "group_name = ? ORDER BY launched, instance_id", [region, group["name"]]).fetchall()
        pending = [i for i, state in held if state == "Pending"]
        if pending:
            states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=pending)["Reservations"]
                      for i in r["Instances"]}
            for instance, state in states.items():
                if state == "running":
                    db.execute("UPDATE autoscaling_instances SET lifecycle_state = 'InService' WHERE instance_id = ?",
                               [instance])
        difference = group["desired"] - len(held)
        cause = self._causes.pop((region, group["name"]), f"At {_iso(instant)} an instance was started in response to "
                                 "a difference between desired and actual capacity.")
        if difference > 0:
            subnets = json.loads(group["subnets"])
            tags = [t for t in json.loads(group["tags"] or "[]") if t.get("PropagateAtLaunch")]
            for n in range(difference):
                settings = self._launch_settings(group)
                if subnets:
                    settings["SubnetId"] = subnets[(len(held) + n) % len(subnets)]
                settings["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [
                    {"Key": "aws:autoscaling:groupName", "Value": group["name"]}] + [
                    {"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]}]
                try:
                    launched = ec2.run_instances(MinCount=1, MaxCount=1, **settings)["Instances"][0]
                except ClientError as error:
                    self._activity(db, region, group["name"], "Launching a new EC2 instance.  Status Reason: "
                                   + error.response["Error"]["Message"], cause, instant, f"{group['name']}/{instant}/{n}/failed")
                    return
                db.execute("INSERT INTO autoscaling_instances VALUES (?, ?, ?, ?, ?, ?, 'Pending')",
                           [region, group["name"], launched["InstanceId"],
                            launched.get("Placement", {}).get("AvailabilityZone"), launched.get("InstanceType"), instant])
                self._activity(db, region, group["name"], f"Launching a new EC2 instance: {launched['InstanceId']}",
                               cause + f"  At {_iso(instant)} an instance was started in response to a difference "
                               f"between desired and actual capacity, increasing the capacity from {len(held) + n} to "
                               f"{len(held) + n + 1}.", instant, f"{group['name']}/{instant}/{n}/{launched['InstanceId']}")
        elif difference < 0:
            victims = [i for i, _ in held][: -difference]
            ec2.terminate_instances(InstanceIds=victims)
            for n, instance in enumerate(victims):
                db.execute("DELETE FROM autoscaling_instances WHERE instance_id = ?", [instance])
                self._activity(db, region, group["name"], f"Terminating EC2 instance: {instance}",
                               cause + f"  At {_iso(instant)} an instance was taken out of service in response to a "
                               f"difference between desired and actual capacity, shrinking the capacity from "
                               f"{len(held) - n} to {len(held) - n - 1}.", instant, f"{group['name']}/{instant}/{instance}")
