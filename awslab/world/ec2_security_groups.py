"""Security groups: CreateSecurityGroup, Describe/DeleteSecurityGroup, Authorize/Revoke ingress and egress.

Rules follow https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html and the
AuthorizeSecurityGroupIngress reference: protocol ``tcp``/``udp``/``icmp``/``icmpv6``, a number
0-255, or ``-1`` for all traffic (ports then ignored); TCP/UDP port ranges 0-65535; ICMP type and
code -1-255; a source is an IPv4 CIDR, an IPv6 CIDR or another security group. A new group has
one egress rule allowing all IPv4 traffic; a VPC's ``default`` group also allows all inbound
traffic from itself and cannot be deleted. A group still used by a network interface, or
referenced by another group's rule, cannot be deleted ("DependencyViolation").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .ec2_common import (apply_filters, check_ids, execute, group_not_found, invalid_value, live,
                         paginate, rows, rule_cidr, store_tags, tag_list, tags_for, tags_of,
                         vpc_not_found)
from .ec2_sg_rules import Rule, permissions, port_range, protocol_of, rule_item, rule_of


class SecurityGroupsMixin:
    """Handlers for security groups and their rules (mixed into Ec2Service)."""

    def _insert_group(self, region: str, account_id: str, vpc_id: str, name: str, description: str,
                      at: datetime) -> str:
        group_id = self._new_id(region, account_id, "sg")
        self.lab.db.execute("INSERT INTO ec2_security_groups VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                            [group_id, region, account_id, vpc_id, name, description, at])
        self._insert_rules(region, account_id, group_id, True, [Rule("-1", None, None, cidr_ipv4="0.0.0.0/0")])
        return group_id

    def _insert_default_group(self, region: str, account_id: str, vpc_id: str, at: datetime) -> str:
        group_id = self._insert_group(region, account_id, vpc_id, "default", "default VPC security group", at)
        self._insert_rules(region, account_id, group_id, False,
                           [Rule("-1", None, None, group_id=group_id, user_id=account_id)])
        return group_id

    def _insert_rules(self, region: str, account_id: str, group_id: str, egress: bool,
                      rules: list[Rule]) -> list[str]:
        ids = []
        for rule in rules:
            rule_id = self._new_id(region, account_id, "sgr")
            self.lab.db.execute(
                "INSERT INTO ec2_security_group_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [rule_id, group_id, egress, rule.protocol, rule.from_port, rule.to_port, rule.cidr_ipv4,
                 rule.cidr_ipv6, rule.group_id, rule.user_id, rule.description, self._next_number()])
            ids.append(rule_id)
        return ids

    # ------------------------------------------------------------------ groups
    def create_security_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, description = params["GroupName"], params["Description"]
        if not name or len(name) > 255:
            raise invalid_value("Invalid value for parameter groupName: the name must be 1 to 255 characters")
        if name.lower().startswith("sg-"):
            raise invalid_value("Group names may not be in the format sg-*")
        if name == "default":
            raise invalid_value("Cannot use reserved security group name: default")
        if not description or len(description) > 255:
            raise invalid_value("Invalid value for parameter groupDescription: the description must be 1 to "
                                "255 characters")
        vpc_id = params.get("VpcId") or self._default_vpc_id(call.region, call.account_id)
        if vpc_id is None:
            raise AWSError("VPCIdNotSpecified", "No default VPC for this user")
        check_ids([vpc_id], "vpc")
        if not self._vpcs(call.region, call.account_id, call.time, [vpc_id]):
            raise vpc_not_found(vpc_id)
        if execute(call.db, f"SELECT 1 FROM ec2_security_groups WHERE vpc_id = $vpc AND group_name = $name "
                   f"AND {live()}", vpc=vpc_id, name=name, at=call.time).fetchone():
            raise AWSError("InvalidGroup.Duplicate", f"The security group '{name}' already exists for VPC '{vpc_id}'")
        tags = tags_for(params.get("TagSpecifications"), "security-group")
        group_id = self._insert_group(call.region, call.account_id, vpc_id, name, description, call.time)
        store_tags(call.db, call.region, call.account_id, group_id, tags)
        self._publish(call, [("AWS::EC2::SecurityGroup", group_id, "created"), ("AWS::EC2::VPC", vpc_id, "updated")])
        response: dict[str, Any] = {"GroupId": group_id,
                                    "SecurityGroupArn": f"arn:aws:ec2:{call.region}:{call.account_id}:"
                                                        f"security-group/{group_id}"}
        if tags:
            response["Tags"] = tag_list(tags)
        return response

    def _groups(self, region: str, account_id: str, at: datetime, ids: list[str] | None = None) -> list[dict[str, Any]]:
        found = rows(self.lab.db, f"SELECT * FROM ec2_security_groups WHERE region = $region AND account_id = $account "
                     f"AND {live()} AND ($ids IS NULL OR list_contains($ids, group_id)) ORDER BY created_at, group_id",
                     region=region, account=account_id, at=at, ids=ids)
        rules = rows(self.lab.db, "SELECT * FROM ec2_security_group_rules WHERE list_contains($ids, group_id) "
                     "ORDER BY seq", ids=[g["group_id"] for g in found])
        tags = tags_of(self.lab.db, [g["group_id"] for g in found])
        result = []
        for g in found:
            group: dict[str, Any] = {
                "GroupId": g["group_id"], "IpPermissionsEgress": permissions(rules, g["group_id"], True),
                "VpcId": g["vpc_id"], "SecurityGroupArn": f"arn:aws:ec2:{region}:{account_id}:security-group/"
                                                          f"{g['group_id']}",
                "OwnerId": account_id, "GroupName": g["group_name"], "Description": g["description"],
                "IpPermissions": permissions(rules, g["group_id"], False),
            }
            if tags[g["group_id"]]:
                group["Tags"] = tag_list(tags[g["group_id"]])
            result.append(group)
        return result

    def _group_row(self, call: Call, group_id: str | None, group_name: str | None) -> dict[str, Any]:
        """The group named by id, or by name in the default VPC (as EC2 resolves GroupName)."""
        if group_id:
            check_ids([group_id], "sg")
            found = rows(call.db, f"SELECT * FROM ec2_security_groups WHERE group_id = $id AND region = $region "
                         f"AND account_id = $account AND {live()}",
                         id=group_id, region=call.region, account=call.account_id, at=call.time)
            if not found:
                raise group_not_found(group_id)
            return found[0]
        if not group_name:
            raise AWSError("MissingParameter", "The request must contain the parameter groupName or groupId")
        vpc_id = self._default_vpc_id(call.region, call.account_id)
        found = rows(call.db, f"SELECT * FROM ec2_security_groups WHERE vpc_id = $vpc AND group_name = $name "
                     f"AND {live()}", vpc=vpc_id, name=group_name, at=call.time)
        if not found:
            raise AWSError("InvalidGroup.NotFound",
                           f"The security group '{group_name}' does not exist in default VPC '{vpc_id}'")
        return found[0]

    def describe_security_groups(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("GroupIds") or None
        check_ids(ids or [], "sg")
        groups = self._groups(call.region, call.account_id, call.time, ids)
        for group_id in ids or []:
            if group_id not in {g["GroupId"] for g in groups}:
                raise group_not_found(group_id)
        if params.get("GroupNames"):
            wanted = [self._group_row(call, None, name)["group_id"] for name in params["GroupNames"]]
            groups = [g for g in groups if g["GroupId"] in wanted]
        groups = apply_filters(groups, params.get("Filters"), {
            "group-id": lambda g: [g["GroupId"]], "group-name": lambda g: [g["GroupName"]],
            "vpc-id": lambda g: [g["VpcId"]], "description": lambda g: [g["Description"]],
            "owner-id": lambda g: [g["OwnerId"]],
            "ip-permission.cidr": lambda g: [r["CidrIp"] for p in g["IpPermissions"] for r in p["IpRanges"]],
            "ip-permission.ipv6-cidr": lambda g: [r["CidrIpv6"] for p in g["IpPermissions"] for r in p["Ipv6Ranges"]],
            "ip-permission.from-port": lambda g: [p.get("FromPort") for p in g["IpPermissions"]],
            "ip-permission.to-port": lambda g: [p.get("ToPort") for p in g["IpPermissions"]],
            "ip-permission.protocol": lambda g: [p["IpProtocol"] for p in g["IpPermissions"]],
            "ip-permission.group-id": lambda g: [u["GroupId"] for p in g["IpPermissions"]
                                                 for u in p["UserIdGroupPairs"]],
            "egress.ip-permission.cidr": lambda g: [r["CidrIp"] for p in g["IpPermissionsEgress"] for r in p["IpRanges"]],
            "egress.ip-permission.protocol": lambda g: [p["IpProtocol"] for p in g["IpPermissionsEgress"]],
        })
        return paginate(groups, params, "SecurityGroups")

    def delete_security_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group_row(call, params.get("GroupId"), params.get("GroupName"))
        group_id = group["group_id"]
        if group["group_name"] == "default":
            raise AWSError("CannotDelete",
                           f"the specified group: \"{group_id}\" name: \"default\" cannot be deleted by a user")
        in_use = execute(call.db, f"""
            SELECT (SELECT count(*) FROM ec2_network_interface_groups g JOIN ec2_network_interfaces e USING (eni_id)
                    WHERE g.group_id = $id AND {live('e')})
                 + (SELECT count(*) FROM ec2_security_group_rules r JOIN ec2_security_groups o USING (group_id)
                    WHERE r.referenced_group_id = $id AND o.group_id <> $id AND {live('o')})""",
                         id=group_id, at=call.time).fetchone()[0]
        if in_use:
            raise AWSError("DependencyViolation", f"resource {group_id} has a dependent object")
        last = self._before_deleting(call, [("AWS::EC2::SecurityGroup", group_id)])
        call.db.execute("UPDATE ec2_security_groups SET deleted_at = ? WHERE group_id = ?", [call.time, group_id])
        self._publish(call, [("AWS::EC2::VPC", group["vpc_id"], "updated")], last)
        return {"Return": True, "GroupId": group_id}

    # ------------------------------------------------------------------ rules
    def _requested_rules(self, call: Call, group: dict[str, Any], params: dict[str, Any]) -> list[Rule]:
        """The rules an Authorize/Revoke call names: IpPermissions, or the older flat parameters."""
        permissions = list(params.get("IpPermissions") or [])
        if params.get("IpProtocol") is not None or params.get("CidrIp") or params.get("SourceSecurityGroupName"):
            flat: dict[str, Any] = {"IpProtocol": params.get("IpProtocol", "-1")}
            for key in ("FromPort", "ToPort"):
                if key in params:
                    flat[key] = params[key]
            if params.get("CidrIp"):
                flat["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
            if params.get("SourceSecurityGroupName"):
                flat["UserIdGroupPairs"] = [{"GroupName": params["SourceSecurityGroupName"],
                                             "UserId": params.get("SourceSecurityGroupOwnerId", call.account_id)}]
            permissions.append(flat)
        rules: list[Rule] = []
        for permission in permissions:
            protocol = protocol_of(permission.get("IpProtocol", ""))
            low, high = port_range(protocol, permission.get("FromPort"), permission.get("ToPort"))
            for r in permission.get("IpRanges") or []:
                rules.append(Rule(protocol, low, high, cidr_ipv4=rule_cidr(r.get("CidrIp", ""), 4),
                                  description=r.get("Description")))
            for r in permission.get("Ipv6Ranges") or []:
                rules.append(Rule(protocol, low, high, cidr_ipv6=rule_cidr(r.get("CidrIpv6", ""), 6),
                                  description=r.get("Description")))
            for pair in permission.get("UserIdGroupPairs") or []:
                user = pair.get("UserId") or call.account_id
                if user == call.account_id:
                    if pair.get("GroupId"):
                        peer = self._group_row(call, pair["GroupId"], None)["group_id"]
                    else:
                        found = rows(call.db, f"SELECT group_id FROM ec2_security_groups WHERE vpc_id = $vpc "
                                     f"AND group_name = $name AND {live()}", vpc=group["vpc_id"],
                                     name=pair.get("GroupName"), at=call.time)
                        if not found:
                            raise group_not_found(pair.get("GroupName"))
                        peer = found[0]["group_id"]
                else:
                    peer = pair.get("GroupId") or pair.get("GroupName")
                rules.append(Rule(protocol, low, high, group_id=peer, user_id=user, description=pair.get("Description")))
            for prefix in permission.get("PrefixListIds") or []:
                raise AWSError("InvalidPrefixListID.NotFound",
                               f"The prefix list ID '{prefix.get('PrefixListId')}' does not exist")
        keys = [r.key for r in rules]
        if len(set(keys)) != len(keys):
            raise invalid_value("The same permission must not appear multiple times")
        return rules

    def _authorize(self, call: Call, params: dict[str, Any], egress: bool) -> dict[str, Any]:
        group = self._group_row(call, params.get("GroupId"), None if egress else params.get("GroupName"))
        rules = self._requested_rules(call, group, params)
        existing = {rule_of(r).key for r in rows(call.db, "SELECT * FROM ec2_security_group_rules "
                                                 "WHERE group_id = $g AND is_egress = $e", g=group["group_id"], e=egress)}
        for rule in rules:
            if rule.key in existing:
                raise AWSError("InvalidPermission.Duplicate", f"the specified rule \"{rule.peer_text()}\" already exists")
        ids = self._insert_rules(call.region, call.account_id, group["group_id"], egress, rules)
        if rules:
            self._publish(call, [("AWS::EC2::SecurityGroup", group["group_id"], "updated")])
        return {"Return": True, "SecurityGroupRules": [
            rule_item(call.region, call.account_id, group["group_id"], egress, rule_id, rule)
            for rule_id, rule in zip(ids, rules)]}

    def authorize_security_group_ingress(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._authorize(call, params, egress=False)

    def authorize_security_group_egress(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._authorize(call, params, egress=True)

    def _revoke(self, call: Call, params: dict[str, Any], egress: bool) -> dict[str, Any]:
        group = self._group_row(call, params.get("GroupId"), None if egress else params.get("GroupName"))
        stored = rows(call.db, "SELECT * FROM ec2_security_group_rules WHERE group_id = $g AND is_egress = $e",
                      g=group["group_id"], e=egress)
        doomed: list[str] = []
        unknown: list[Rule] = []
        for rule_id in params.get("SecurityGroupRuleIds") or []:
            if rule_id not in {r["rule_id"] for r in stored}:
                raise AWSError("InvalidSecurityGroupRuleId.NotFound",
                               f"The security group rule ID '{rule_id}' does not exist")
            doomed.append(rule_id)
        by_key = {rule_of(r).key: r["rule_id"] for r in stored}
        for rule in self._requested_rules(call, group, params):
            if rule.key in by_key:
                doomed.append(by_key[rule.key])
            else:
                unknown.append(rule)
        if not doomed:
            raise AWSError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
        call.db.execute("DELETE FROM ec2_security_group_rules WHERE list_contains(?, rule_id)", [doomed])
        self._publish(call, [("AWS::EC2::SecurityGroup", group["group_id"], "updated")])
        response: dict[str, Any] = {"Return": True}
        if unknown:
            response["UnknownIpPermissions"] = permissions(
                [dict(r._asdict(), is_egress=egress, group_id=group["group_id"], referenced_group_id=r.group_id,
                      referenced_user_id=r.user_id, ip_protocol=r.protocol) for r in unknown],
                group["group_id"], egress)
        return response

    def revoke_security_group_ingress(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._revoke(call, params, egress=False)

    def revoke_security_group_egress(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._revoke(call, params, egress=True)

    def describe_security_group_rules(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups = {g["GroupId"] for g in self._groups(call.region, call.account_id, call.time)}
        found = rows(call.db, "SELECT * FROM ec2_security_group_rules WHERE list_contains($ids, group_id) "
                     "AND ($rules IS NULL OR list_contains($rules, rule_id)) ORDER BY seq",
                     ids=sorted(groups), rules=params.get("SecurityGroupRuleIds") or None)
        items = [rule_item(call.region, call.account_id, r["group_id"], r["is_egress"], r["rule_id"], rule_of(r))
                 for r in found]
        items = apply_filters(items, params.get("Filters"), {
            "group-id": lambda r: [r["GroupId"]], "security-group-rule-id": lambda r: [r["SecurityGroupRuleId"]],
        })
        return paginate(items, params, "SecurityGroupRules")

    def _resolve_groups(self, call: Call, vpc_id: str, group_ids: list[str], group_names: list[str]) -> list[str]:
        """The groups an instance or interface in ``vpc_id`` asks for; the VPC's default group if none."""
        resolved: list[str] = []
        check_ids(group_ids, "sg")
        for group_id in group_ids:
            group = self._group_row(call, group_id, None)
            if group["vpc_id"] != vpc_id:
                raise AWSError("InvalidParameter", f"Security group {group_id} and subnet belong to different networks.")
            resolved.append(group_id)
        for name in group_names:
            found = rows(call.db, f"SELECT group_id FROM ec2_security_groups WHERE vpc_id = $vpc AND group_name = $name "
                         f"AND {live()}", vpc=vpc_id, name=name, at=call.time)
            if not found:
                raise AWSError("InvalidGroup.NotFound", f"The security group '{name}' does not exist in VPC '{vpc_id}'")
            resolved.append(found[0]["group_id"])
        if not resolved:
            resolved = [rows(call.db, f"SELECT group_id FROM ec2_security_groups WHERE vpc_id = $vpc AND "
                             f"group_name = 'default' AND {live()}", vpc=vpc_id, at=call.time)[0]["group_id"]]
        return list(dict.fromkeys(resolved))

    def _groups_of_enis(self, eni_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        found: dict[str, list[dict[str, str]]] = {}
        for eni_id, group_id, name in self.lab.db.execute(
                "SELECT g.eni_id, g.group_id, s.group_name FROM ec2_network_interface_groups g "
                "JOIN ec2_security_groups s USING (group_id) WHERE list_contains(?, g.eni_id) "
                "ORDER BY g.eni_id, g.position", [eni_ids]).fetchall():
            found.setdefault(eni_id, []).append({"GroupId": group_id, "GroupName": name})
        return found

