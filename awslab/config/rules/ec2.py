"""Managed rules for EC2: instances, volumes, security groups, Elastic IPs, EBS defaults.

Each rule's docstring names its page under
https://docs.aws.amazon.com/config/latest/developerguide/. Configuration shapes are the
configuration items' (AWS::EC2::Instance, AWS::EC2::Volume, AWS::EC2::SecurityGroup, AWS::EC2::EIP).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from awslab.config.rules.model import (
    ConfigurationItem,
    ManagedRule,
    Parameter,
    RuleContext,
    RuleParameterError,
    Trigger,
    Verdict,
    as_list,
    compliant,
    non_compliant,
    not_applicable,
    parse_csv,
    parse_timestamp,
)

INSTANCE = ("AWS::EC2::Instance",)
VOLUME = ("AWS::EC2::Volume",)
SECURITY_GROUP = ("AWS::EC2::SecurityGroup",)
ANY_IPV4 = "0.0.0.0/0"
ANY_IPV6 = "::/0"

# --------------------------------------------------------------------------------------------
# Security groups


def _sources(permission: Mapping[str, Any]) -> set[str]:
    """The CIDR sources of one ingress permission, from every spelling of its ranges."""
    found: set[str] = set()
    for entry in as_list(permission.get("ipRanges")) + as_list(permission.get("ipv4Ranges")):
        found.add(entry if isinstance(entry, str) else str((entry or {}).get("cidrIp")))
    for entry in as_list(permission.get("ipv6Ranges")):
        found.add(entry if isinstance(entry, str) else str((entry or {}).get("cidrIpv6")))
    return found


def _open_to_world(permission: Mapping[str, Any]) -> bool:
    return bool(_sources(permission) & {ANY_IPV4, ANY_IPV6})


def _protocol(permission: Mapping[str, Any]) -> str:
    protocol = str(permission.get("ipProtocol", "-1")).lower()
    return {"6": "tcp", "17": "udp", "all": "-1"}.get(protocol, protocol)


def _port_range(permission: Mapping[str, Any]) -> tuple[int, int]:
    low, high = permission.get("fromPort"), permission.get("toPort")
    if _protocol(permission) == "-1" or low is None or high is None or int(low) == -1:
        return 0, 65535
    return int(low), int(high)


def _allows_tcp_port(permission: Mapping[str, Any], port: int) -> bool:
    if _protocol(permission) not in ("tcp", "-1"):
        return False
    low, high = _port_range(permission)
    return low <= port <= high


def _world_open_ports(ci: ConfigurationItem, ports: list[int]) -> list[int]:
    return sorted(
        {p for perm in as_list(ci.get("ipPermissions")) if _open_to_world(perm) for p in ports if _allows_tcp_port(perm, p)}
    )


def _ssh_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _world_open_ports(ci, [22]):
        return non_compliant("Port 22 is open to 0.0.0.0/0 or ::/0.")
    return compliant()


INCOMING_SSH_DISABLED = ManagedRule(
    identifier="INCOMING_SSH_DISABLED",
    name="restricted-ssh",
    resource_types=SECURITY_GROUP,
    trigger=Trigger.CONFIGURATION_CHANGES_AND_PERIODIC,
    check=_ssh_check,
)
"""restricted-ssh: NON_COMPLIANT when an ingress rule lets TCP port 22 (a range holding it, or
all traffic) in from 0.0.0.0/0 or ::/0."""


def _blocked_ports(params: Mapping[str, Any]) -> list[int]:
    ports = [params[f"blockedPort{i}"] for i in range(1, 6) if f"blockedPort{i}" in params]
    for text in params.get("blockedPorts", []):
        if not text.isdigit():
            raise RuleParameterError(f"blockedPorts holds '{text}', not a port number")
        ports.append(int(text))
    return ports


def _common_ports_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    open_ports = _world_open_ports(ci, _blocked_ports(params))
    if open_ports:
        return non_compliant(f"Blocked ports open to the world: {', '.join(map(str, open_ports))}.")
    return compliant()


RESTRICTED_INCOMING_TRAFFIC = ManagedRule(
    identifier="RESTRICTED_INCOMING_TRAFFIC",
    name="restricted-common-ports",
    resource_types=SECURITY_GROUP,
    trigger=Trigger.CONFIGURATION_CHANGES_AND_PERIODIC,
    parameters=(
        Parameter("blockedPort1", "int", default="20"),
        Parameter("blockedPort2", "int", default="21"),
        Parameter("blockedPort3", "int", default="3389"),
        Parameter("blockedPort4", "int", default="3306"),
        Parameter("blockedPort5", "int", default="4333"),
        Parameter("blockedPorts", "CSV"),
    ),
    check=_common_ports_check,
)
"""restricted-common-ports: NON_COMPLIANT when an ingress rule lets TCP traffic to a blocked
port (blockedPort1..5, default 20, 21, 3389, 3306, 4333, plus blockedPorts) in from 0.0.0.0/0
or ::/0. Every security group is evaluated (the page says "in use"; we do not know how AWS
decides that)."""


def _default_group_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if ci.get("groupName") != "default":
        return not_applicable()
    if as_list(ci.get("ipPermissions")) or as_list(ci.get("ipPermissionsEgress")):
        return non_compliant("The default security group has inbound or outbound rules.")
    return compliant()


VPC_DEFAULT_SECURITY_GROUP_CLOSED = ManagedRule(
    identifier="VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    name="vpc-default-security-group-closed",
    resource_types=SECURITY_GROUP,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_default_group_check,
)
"""vpc-default-security-group-closed: NOT_APPLICABLE for non-default groups; NON_COMPLIANT when
a default group has any inbound or outbound rule."""


def _port_ranges(text: str | None) -> list[tuple[int, int]]:
    ranges = []
    for part in parse_csv(text or ""):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise RuleParameterError(f"'{part}' is not a port or port range")
        ranges.append((int(low), int(high or low)))
    return ranges


def _authorized_ports_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    allowed = {"tcp": _port_ranges(params.get("authorizedTcpPorts")), "udp": _port_ranges(params.get("authorizedUdpPorts"))}
    for perm in as_list(ci.get("ipPermissions")):
        if not _open_to_world(perm):
            continue
        protocol = _protocol(perm)
        if protocol not in ("tcp", "udp", "-1"):
            continue
        low, high = _port_range(perm)
        if protocol == "-1" or not any(a <= low and high <= b for a, b in allowed[protocol]):
            return non_compliant(f"{protocol} {low}-{high} is open to the world and not authorized.")
    return compliant()


VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS = ManagedRule(
    identifier="VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS",
    name="vpc-sg-open-only-to-authorized-ports",
    resource_types=SECURITY_GROUP,
    trigger=Trigger.CONFIGURATION_CHANGES_AND_PERIODIC,
    parameters=(Parameter("authorizedTcpPorts"), Parameter("authorizedUdpPorts")),
    check=_authorized_ports_check,
)
"""vpc-sg-open-only-to-authorized-ports: NON_COMPLIANT when a group lets traffic in from
0.0.0.0/0 or ::/0 on TCP/UDP ports outside authorizedTcpPorts / authorizedUdpPorts (e.g.
"443,1020-1025"), or on all protocols."""

# --------------------------------------------------------------------------------------------
# Volumes


def _attached(ci: ConfigurationItem) -> bool:
    state = ci.get("state")
    state = state.get("value") if isinstance(state, dict) else state
    return bool(as_list(ci.get("attachments"))) or state == "in-use"


def _key_matches(actual: str | None, wanted: str) -> bool:
    if not actual:
        return False
    # kmsId may be a key id or a key ARN; the item may hold either.
    return actual == wanted or actual.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]


def _encrypted_volumes_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if not _attached(ci):
        return not_applicable("The volume is not attached.")
    if not ci.get("encrypted", default=False):
        return non_compliant("The attached volume is not encrypted.")
    if "kmsId" in params and not _key_matches(ci.get("kmsKeyId"), params["kmsId"]):
        return non_compliant(f"The volume is not encrypted with {params['kmsId']}.")
    return compliant()


ENCRYPTED_VOLUMES = ManagedRule(
    identifier="ENCRYPTED_VOLUMES",
    name="encrypted-volumes",
    resource_types=VOLUME,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("kmsId"),),
    check=_encrypted_volumes_check,
)
"""encrypted-volumes: NON_COMPLIANT when an attached volume is unencrypted, or encrypted with a
key other than kmsId. Volumes that are not attached are NOT_APPLICABLE (the page speaks of
"attached" volumes only)."""


def _delete_on_termination(raw: str) -> str:
    return raw.strip()


def _volume_in_use_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if not _attached(ci):
        return non_compliant("The volume is not attached to an instance.")
    if "deleteOnTermination" in params:
        wanted = params["deleteOnTermination"].lower()
        if wanted not in ("true", "false"):
            # "other input values are marked as non-compliant"
            return non_compliant("deleteOnTermination must be True or False.")
        flags = [bool((a or {}).get("deleteOnTermination")) for a in as_list(ci.get("attachments"))]
        if any(flag != (wanted == "true") for flag in flags):
            return non_compliant(f"deleteOnTermination is not {params['deleteOnTermination']}.")
    return compliant()


EC2_VOLUME_INUSE_CHECK = ManagedRule(
    identifier="EC2_VOLUME_INUSE_CHECK",
    name="ec2-volume-inuse-check",
    resource_types=VOLUME,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("deleteOnTermination", "boolean", parser=_delete_on_termination),),
    check=_volume_in_use_check,
)
"""ec2-volume-inuse-check: NON_COMPLIANT when a volume is not attached to an instance; with
deleteOnTermination, its attachments must carry that flag (values other than True/False are
non-compliant)."""


def _ebs_default_check(params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if context.get_ebs_encryption_by_default().get("EbsEncryptionByDefault"):
        return compliant()
    return non_compliant("EBS encryption by default is disabled in this Region.")


EC2_EBS_ENCRYPTION_BY_DEFAULT = ManagedRule(
    identifier="EC2_EBS_ENCRYPTION_BY_DEFAULT",
    name="ec2-ebs-encryption-by-default",
    resource_types=(),
    trigger=Trigger.PERIODIC,
    check_account=_ebs_default_check,
)
"""ec2-ebs-encryption-by-default: the account is NON_COMPLIANT when EBS encryption by default is
off in the Region."""

# --------------------------------------------------------------------------------------------
# Instances


def _state(ci: ConfigurationItem) -> str | None:
    state = ci.get("state")
    return state.get("name") if isinstance(state, dict) else state


def _no_public_ip_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    interfaces = [i for i in as_list(ci.get("networkInterfaces")) if isinstance(i, dict)]
    associated = [(i.get("association") or {}).get("publicIp") for i in interfaces]
    public = ci.get("publicIpAddress") or next((ip for ip in associated if ip), None)
    if public:
        return non_compliant(f"The instance has the public IPv4 address {public}.")
    return compliant()


EC2_INSTANCE_NO_PUBLIC_IP = ManagedRule(
    identifier="EC2_INSTANCE_NO_PUBLIC_IP",
    name="ec2-instance-no-public-ip",
    resource_types=INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_no_public_ip_check,
)
"""ec2-instance-no-public-ip: NON_COMPLIANT when the item carries a public IPv4 address
(publicIpAddress, or a network interface's association.publicIp). IPv4 only."""


def _detailed_monitoring_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    state = ci.get("monitoring", "state", default="disabled")
    return compliant() if state == "enabled" else non_compliant(f"Detailed monitoring is {state}.")


EC2_INSTANCE_DETAILED_MONITORING_ENABLED = ManagedRule(
    identifier="EC2_INSTANCE_DETAILED_MONITORING_ENABLED",
    name="ec2-instance-detailed-monitoring-enabled",
    resource_types=INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_detailed_monitoring_check,
)
"""ec2-instance-detailed-monitoring-enabled: NON_COMPLIANT unless monitoring.state is enabled."""


def _imdsv2_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    tokens = ci.get("metadataOptions", "httpTokens", default="optional")
    return non_compliant("HttpTokens is optional (IMDSv1 allowed).") if tokens == "optional" else compliant()


EC2_IMDSV2_CHECK = ManagedRule(
    identifier="EC2_IMDSV2_CHECK",
    name="ec2-imdsv2-check",
    resource_types=INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_imdsv2_check,
)
"""ec2-imdsv2-check: NON_COMPLIANT when metadataOptions.httpTokens is "optional"."""


def _profile_attached_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    arn = ci.get("iamInstanceProfile", "arn")
    if not arn:
        return non_compliant("No IAM instance profile is attached.")
    allowed = params.get("IamInstanceProfileArnList")
    if allowed and arn not in allowed:
        return non_compliant(f"The instance profile {arn} is not in IamInstanceProfileArnList.")
    return compliant()


EC2_INSTANCE_PROFILE_ATTACHED = ManagedRule(
    identifier="EC2_INSTANCE_PROFILE_ATTACHED",
    name="ec2-instance-profile-attached",
    resource_types=INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("IamInstanceProfileArnList", "CSV"),),
    check=_profile_attached_check,
)
"""ec2-instance-profile-attached: NON_COMPLIANT without an IAM instance profile, or with one not
in IamInstanceProfileArnList when that is given."""


def _instance_type_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    kind = ci.get("instanceType")
    if kind in params["instanceType"]:
        return compliant()
    return non_compliant(f"{kind} is not a desired instance type.")


DESIRED_INSTANCE_TYPE = ManagedRule(
    identifier="DESIRED_INSTANCE_TYPE",
    name="desired-instance-type",
    resource_types=INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("instanceType", "CSV", optional=False),),
    check=_instance_type_check,
)
"""desired-instance-type: NON_COMPLIANT when the instance type is not in the instanceType list."""


def _approved_amis_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _state(ci) not in ("pending", "running"):
        # The page checks "running instances" (plausible: others are out of scope).
        return not_applicable("The instance is not running.")
    image = ci.get("imageId")
    if image in params["amiIds"]:
        return compliant()
    return non_compliant(f"{image} is not an approved AMI.")


APPROVED_AMIS_BY_ID = ManagedRule(
    identifier="APPROVED_AMIS_BY_ID",
    name="approved-amis-by-id",
    resource_types=INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("amiIds", "CSV", optional=False),),
    check=_approved_amis_check,
)
"""approved-amis-by-id: a running instance whose AMI is not in amiIds is NON_COMPLIANT."""

_TRANSITION_TIME = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) GMT\)")


def _stopped_since(ci: ConfigurationItem) -> datetime | None:
    # EC2 writes the stop time into stateTransitionReason: "User initiated (2026-01-01 10:00:00 GMT)".
    match = _TRANSITION_TIME.search(str(ci.get("stateTransitionReason", default="")))
    if match:
        return parse_timestamp(match.group(1).replace(" ", "T") + "Z")
    return ci.capture_time


def _stopped_instance_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _state(ci) != "stopped":
        return compliant()
    since = _stopped_since(ci)
    allowed = timedelta(days=params["AllowedDays"])
    if since is not None and context.now - since > allowed:
        return non_compliant(f"Stopped since {since:%Y-%m-%d}, more than {params['AllowedDays']} days.")
    return compliant()


EC2_STOPPED_INSTANCE = ManagedRule(
    identifier="EC2_STOPPED_INSTANCE",
    name="ec2-stopped-instance",
    resource_types=INSTANCE,
    trigger=Trigger.PERIODIC,
    parameters=(Parameter("AllowedDays", "int", default="30"),),
    check=_stopped_instance_check,
)
"""ec2-stopped-instance: NON_COMPLIANT when an instance has been stopped for longer than
AllowedDays (default 30). The stop time comes from stateTransitionReason, else from the item's
capture time (AWS reads the configuration history)."""


def _eip_attached_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if ci.get("associationId") or ci.get("instanceId") or ci.get("networkInterfaceId"):
        return compliant()
    return non_compliant("The Elastic IP address is not attached to an instance or network interface.")


EIP_ATTACHED = ManagedRule(
    identifier="EIP_ATTACHED",
    name="eip-attached",
    resource_types=("AWS::EC2::EIP",),
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_eip_attached_check,
)
"""eip-attached: NON_COMPLIANT when an Elastic IP is attached to neither an instance nor an
in-use network interface."""

RULES = (
    INCOMING_SSH_DISABLED,
    RESTRICTED_INCOMING_TRAFFIC,
    VPC_DEFAULT_SECURITY_GROUP_CLOSED,
    VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS,
    ENCRYPTED_VOLUMES,
    EC2_VOLUME_INUSE_CHECK,
    EC2_EBS_ENCRYPTION_BY_DEFAULT,
    EC2_INSTANCE_NO_PUBLIC_IP,
    EC2_INSTANCE_DETAILED_MONITORING_ENABLED,
    EC2_IMDSV2_CHECK,
    EC2_INSTANCE_PROFILE_ATTACHED,
    DESIRED_INSTANCE_TYPE,
    APPROVED_AMIS_BY_ID,
    EC2_STOPPED_INSTANCE,
    EIP_ATTACHED,
)
