"""Security group rules as EC2 understands them: protocols, port ranges, sources, and the shapes
DescribeSecurityGroups (IpPermissions) and AuthorizeSecurityGroup* (SecurityGroupRules) show.

Pure functions, no tables: https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
and the AuthorizeSecurityGroupIngress reference (IpProtocol: tcp, udp, icmp, icmpv6, a number
0-255 or -1 for all; TCP/UDP ports 0-65535; ICMP type and code -1-255). Error messages are EC2's,
as recorded in public issue threads (see tests/world/test_ec2_security_groups.py).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .ec2_common import invalid_value

_PROTOCOL_NAMES = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6", "-1": "-1",
                   "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


class Rule(NamedTuple):
    """One rule as EC2 stores it: a protocol, a port range and exactly one source."""

    protocol: str
    from_port: int | None
    to_port: int | None
    cidr_ipv4: str | None = None
    cidr_ipv6: str | None = None
    group_id: str | None = None
    user_id: str | None = None
    description: str | None = None

    @property
    def key(self) -> tuple:
        """What makes two rules the same rule (the description does not)."""
        return (self.protocol, self.from_port, self.to_port, self.cidr_ipv4, self.cidr_ipv6, self.group_id)

    def peer_text(self) -> str:
        """The rule as EC2 spells it in InvalidPermission.Duplicate messages."""
        peer = self.cidr_ipv4 or self.cidr_ipv6 or self.group_id
        if self.protocol == "-1":
            what = "ALL"
        elif self.protocol in ("tcp", "udp"):
            what = f"{self.protocol.upper()}, from port: {self.from_port}, to port: {self.to_port}"
        elif self.protocol in ("icmp", "icmpv6"):
            what = f"{self.protocol.upper()}, type: {self.from_port}, code: {self.to_port}"
        else:
            what = self.protocol
        return f"peer: {peer}, {what}, ALLOW"


def protocol_of(value: Any) -> str:
    text = str(value).strip().lower()
    if text in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return text
    raise invalid_value(f"Invalid value '{value}' for IP protocol. Unknown protocol.")


def port_range(protocol: str, from_port: int | None, to_port: int | None) -> tuple[int | None, int | None]:
    """The stored (from, to) for a protocol, or EC2's InvalidParameterValue."""
    if protocol in ("tcp", "udp"):
        if from_port is None or to_port is None:
            raise invalid_value("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
        for end, port in (("from", from_port), ("to", to_port)):
            if not 0 <= port <= 65535:
                raise invalid_value(f"TCP/UDP ({end}) port ({port}) out of range")
        if from_port > to_port:
            raise invalid_value(f"Invalid value '{from_port}-{to_port}' for portRange. "
                                "The from port must not be greater than the to port.")
        return from_port, to_port
    if protocol in ("icmp", "icmpv6"):
        icmp_type = -1 if from_port is None else from_port
        code = -1 if to_port is None else to_port
        if not -1 <= icmp_type <= 255:
            raise invalid_value(f"ICMP type ({icmp_type}) out of range")
        if not -1 <= code <= 255:
            raise invalid_value(f"ICMP code ({code}) out of range")
        if icmp_type == -1 and code != -1:
            raise invalid_value(f"ICMP code ({code}) must be -1 when the ICMP type is -1")
        return icmp_type, code
    return None, None


def rule_of(row: dict[str, Any]) -> Rule:
    return Rule(row["ip_protocol"], row["from_port"], row["to_port"], row["cidr_ipv4"], row["cidr_ipv6"],
                row["referenced_group_id"], row["referenced_user_id"], row["description"])


def permissions(rules: list[dict[str, Any]], group_id: str, egress: bool) -> list[dict[str, Any]]:
    """Rules grouped as DescribeSecurityGroups shows them: one IpPermission per protocol and port range."""
    grouped: dict[tuple, dict[str, Any]] = {}
    for r in rules:
        if r["group_id"] != group_id or r["is_egress"] != egress:
            continue
        key = (r["ip_protocol"], r["from_port"], r["to_port"])
        if key not in grouped:
            permission: dict[str, Any] = {"IpProtocol": r["ip_protocol"]}
            if r["from_port"] is not None:
                permission.update({"FromPort": r["from_port"], "ToPort": r["to_port"]})
            permission.update({"UserIdGroupPairs": [], "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": []})
            grouped[key] = permission
        permission = grouped[key]
        described = {"Description": r["description"]} if r.get("description") else {}
        if r["cidr_ipv4"]:
            permission["IpRanges"].append({"CidrIp": r["cidr_ipv4"], **described})
        elif r["cidr_ipv6"]:
            permission["Ipv6Ranges"].append({"CidrIpv6": r["cidr_ipv6"], **described})
        elif r["referenced_group_id"]:
            permission["UserIdGroupPairs"].append({**described, "UserId": r["referenced_user_id"],
                                                   "GroupId": r["referenced_group_id"]})
    return list(grouped.values())


def rule_item(region: str, account_id: str, group_id: str, egress: bool, rule_id: str, rule: Rule) -> dict[str, Any]:
    """A SecurityGroupRule as AuthorizeSecurityGroup* and DescribeSecurityGroupRules return it."""
    item: dict[str, Any] = {
        "SecurityGroupRuleId": rule_id, "GroupId": group_id, "GroupOwnerId": account_id, "IsEgress": egress,
        "IpProtocol": rule.protocol,
        "FromPort": -1 if rule.from_port is None else rule.from_port,
        "ToPort": -1 if rule.to_port is None else rule.to_port,
        "SecurityGroupRuleArn": f"arn:aws:ec2:{region}:{account_id}:security-group-rule/{rule_id}", "Tags": [],
    }
    if rule.cidr_ipv4:
        item["CidrIpv4"] = rule.cidr_ipv4
    if rule.cidr_ipv6:
        item["CidrIpv6"] = rule.cidr_ipv6
    if rule.group_id:
        item["ReferencedGroupInfo"] = {"GroupId": rule.group_id, "UserId": rule.user_id}
    if rule.description:
        item["Description"] = rule.description
    return item
