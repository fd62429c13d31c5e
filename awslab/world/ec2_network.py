"""VPCs, subnets, network interfaces and Elastic IP addresses.

* Default VPC: 172.31.0.0/16 with a default /20 subnet per Availability Zone and a default
  security group, in every region of the lab (https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html).
* CreateVpc / CreateSubnet block sizes: /16 to /28; subnets inside their VPC, not overlapping
  (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html). AWS reserves the first
  four and the last address of a subnet, so a /24 has 251 available addresses.
* Elastic IPs: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from . import ec2_catalog as catalog
from .ec2_common import (apply_filters, block_cidr, check_ids, digest_int, eni_not_found, execute, insert_rows,
                         invalid_value, live, rows, store_tags, subnet_not_found, tag_list,
                         tags_for, tags_of, vpc_not_found)

DNS_SUFFIX = {"us-east-1": "ec2.internal"}


def private_dns(region: str, ip: str) -> str:
    return f"ip-{ip.replace('.', '-')}.{DNS_SUFFIX.get(region, f'{region}.compute.internal')}"


def public_dns(region: str, ip: str) -> str:
    domain = "compute-1.amazonaws.com" if region == "us-east-1" else f"{region}.compute.amazonaws.com"
    return f"ec2-{ip.replace('.', '-')}.{domain}"


def public_ip(*parts: object, first: int = 54) -> str:
    n = digest_int("public-ip", *parts)
    return f"{first}.{n % 200 + 20}.{(n >> 8) % 256}.{(n >> 16) % 254 + 1}"


def _dhcp_options(region: str, account_id: str) -> str:
    """The region's default DHCP options set, shared by its VPCs."""
    return f"dopt-0{digest_int('dopt', account_id, region):016x}"


class NetworkMixin:
    """Handlers for VPCs, subnets, network interfaces and addresses (mixed into Ec2Service)."""

    # ------------------------------------------------------------------ default VPC
    def _create_default_vpcs(self, regions: tuple[str, ...], account_id: str, at: datetime) -> None:
        """Each region's default VPC: its /20 default subnets, one per zone, and its default group
        (a few multi-row inserts, since every new lab does this)."""
        db = self.lab.db
        have = {r for (r,) in db.execute("SELECT DISTINCT region FROM ec2_vpcs WHERE is_default AND account_id = ?",
                                         [account_id]).fetchall()}
        vpcs, groups, rules, subnets = [], [], [], []
        for region in [r for r in regions if r not in have]:
            vpc_id = self._new_id(region, account_id, "vpc")
            vpcs.append((vpc_id, region, account_id, catalog.DEFAULT_VPC_CIDR,
                         self._new_id(region, account_id, "vpc-cidr-assoc"), True, "default",
                         _dhcp_options(region, account_id), at, None))
            group_id = self._new_id(region, account_id, "sg")
            groups.append((group_id, region, account_id, vpc_id, "default", "default VPC security group", at, None))
            rules.append((self._new_id(region, account_id, "sgr"), group_id, True, "-1", None, None, "0.0.0.0/0",
                          None, None, None, None, self._next_number()))
            rules.append((self._new_id(region, account_id, "sgr"), group_id, False, "-1", None, None, None, None,
                          group_id, account_id, None, self._next_number()))
            for index, (zone, zone_id) in enumerate(catalog.availability_zones(region)):
                subnets.append((self._new_id(region, account_id, "subnet"), region, account_id, vpc_id,
                                f"172.31.{16 * index}.0/20", zone, zone_id, True, True, at, None))
        for table, found in (("ec2_vpcs", vpcs), ("ec2_security_groups", groups),
                             ("ec2_security_group_rules", rules), ("ec2_subnets", subnets)):
            insert_rows(db, table, found)

    def _insert_vpc(self, region: str, account_id: str, cidr: str, is_default: bool, tenancy: str,
                    at: datetime) -> str:
        db = self.lab.db
        vpc_id = self._new_id(region, account_id, "vpc")
        association = self._new_id(region, account_id, "vpc-cidr-assoc")
        db.execute("INSERT INTO ec2_vpcs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                   [vpc_id, region, account_id, cidr, association, is_default, tenancy,
                    _dhcp_options(region, account_id), at])
        self._insert_default_group(region, account_id, vpc_id, at)
        return vpc_id

    def _insert_subnet(self, region: str, account_id: str, vpc_id: str, cidr: str, zone: str, zone_id: str,
                       default_for_az: bool, at: datetime) -> str:
        subnet_id = self._new_id(region, account_id, "subnet")
        self.lab.db.execute("INSERT INTO ec2_subnets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                            [subnet_id, region, account_id, vpc_id, cidr, zone, zone_id, default_for_az,
                             default_for_az, at])
        return subnet_id

    def _default_vpc_id(self, region: str, account_id: str) -> str | None:
        found = self.lab.db.execute("SELECT vpc_id FROM ec2_vpcs WHERE region = ? AND account_id = ? "
                                    "AND is_default AND deleted_at IS NULL", [region, account_id]).fetchone()
        return found[0] if found else None

    def _next_private_ip(self, subnet: dict[str, Any]) -> str:
        """The subnet's lowest free address (AWS reserves the first four and the last)."""
        network = ipaddress.IPv4Network(subnet["cidr_block"])
        taken = {ip for (ip,) in self.lab.db.execute(
            "SELECT private_ip FROM ec2_network_interfaces WHERE subnet_id = ? AND (deleted_at IS NULL OR deleted_at > ?)",
            [subnet["subnet_id"], self.lab.now]).fetchall()}
        for host in range(4, network.num_addresses - 1):
            address = str(network.network_address + host)
            if address not in taken:
                return address
        raise AWSError("InsufficientFreeAddressesInSubnet",
                       f"Insufficient Free IP Addresses in subnet '{subnet['subnet_id']}'.")

    # ------------------------------------------------------------------ VPCs
    def create_vpc(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if "CidrBlock" not in params:
            raise AWSError("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
        text = params["CidrBlock"]
        network = block_cidr(text)
        if not 16 <= network.prefixlen <= 28:
            raise AWSError("InvalidVpc.Range", f"The CIDR '{text}' is invalid.")
        tags = tags_for(params.get("TagSpecifications"), "vpc")
        vpc_id = self._insert_vpc(call.region, call.account_id, str(network), False,
                                  params.get("InstanceTenancy", "default"), call.time)
        store_tags(call.db, call.region, call.account_id, vpc_id, tags)
        group_id = call.db.execute("SELECT group_id FROM ec2_security_groups WHERE vpc_id = ?", [vpc_id]).fetchone()[0]
        self._publish(call, [("AWS::EC2::VPC", vpc_id, "created"), ("AWS::EC2::SecurityGroup", group_id, "created")])
        vpc = self._vpcs(call.region, call.account_id, call.time, [vpc_id])[0]
        vpc["State"] = "pending"  # CreateVpc answers before the VPC is available
        return {"Vpc": vpc}

    def _vpcs(self, region: str, account_id: str, at: datetime, ids: list[str] | None = None) -> list[dict[str, Any]]:
        found = rows(self.lab.db, f"SELECT * FROM ec2_vpcs WHERE region = $region AND account_id = $account "
                     f"AND {live()} AND ($ids IS NULL OR list_contains($ids, vpc_id)) ORDER BY created_at, vpc_id",
                     region=region, account=account_id, at=at, ids=ids)
        tags = tags_of(self.lab.db, [r["vpc_id"] for r in found])
        result = []
        for r in found:
            vpc: dict[str, Any] = {
                "OwnerId": account_id, "InstanceTenancy": r["instance_tenancy"],
                "Ipv6CidrBlockAssociationSet": [],
                "CidrBlockAssociationSet": [{"AssociationId": r["cidr_association_id"], "CidrBlock": r["cidr_block"],
                                             "CidrBlockState": {"State": "associated"}}],
                "IsDefault": r["is_default"], "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
                "VpcId": r["vpc_id"], "State": "available", "CidrBlock": r["cidr_block"],
                "DhcpOptionsId": r["dhcp_options_id"],
            }
            if tags[r["vpc_id"]]:
                vpc["Tags"] = tag_list(tags[r["vpc_id"]])
            result.append(vpc)
        return result

    def describe_vpcs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("VpcIds") or None
        check_ids(ids or [], "vpc")
        vpcs = self._vpcs(call.region, call.account_id, call.time, ids)
        if ids:
            missing = [i for i in ids if i not in {v["VpcId"] for v in vpcs}]
            if missing:
                raise vpc_not_found(missing[0])
        vpcs = apply_filters(vpcs, params.get("Filters"), {
            "vpc-id": lambda v: [v["VpcId"]], "cidr": lambda v: [v["CidrBlock"]],
            "cidr-block-association.cidr-block": lambda v: [a["CidrBlock"] for a in v["CidrBlockAssociationSet"]],
            "is-default": lambda v: [v["IsDefault"]], "state": lambda v: [v["State"]],
            "owner-id": lambda v: [v["OwnerId"]], "dhcp-options-id": lambda v: [v["DhcpOptionsId"]],
        })
        return {"Vpcs": vpcs}

    def delete_vpc(self, call: Call, params: dict[str, Any]) -> None:
        vpc_id = params["VpcId"]
        check_ids([vpc_id], "vpc")
        if not self._vpcs(call.region, call.account_id, call.time, [vpc_id]):
            raise vpc_not_found(vpc_id)
        busy = execute(call.db, f"""
            SELECT (SELECT count(*) FROM ec2_subnets WHERE vpc_id = $vpc AND {live()})
                 + (SELECT count(*) FROM ec2_security_groups WHERE vpc_id = $vpc AND {live()} AND group_name <> 'default')
                 + (SELECT count(*) FROM ec2_network_interfaces WHERE vpc_id = $vpc AND {live()})""",
                       vpc=vpc_id, at=call.time).fetchone()[0]
        if busy:
            raise AWSError("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        last = self._before_deleting(call, [("AWS::EC2::SecurityGroup", g) for (g,) in call.db.execute(
            "SELECT group_id FROM ec2_security_groups WHERE vpc_id = ? AND deleted_at IS NULL", [vpc_id]).fetchall()]
                                     + [("AWS::EC2::VPC", vpc_id)])
        call.db.execute("UPDATE ec2_security_groups SET deleted_at = ? WHERE vpc_id = ? AND deleted_at IS NULL",
                        [call.time, vpc_id])
        call.db.execute("UPDATE ec2_vpcs SET deleted_at = ? WHERE vpc_id = ?", [call.time, vpc_id])
        self._publish(call, [], last)

    # ------------------------------------------------------------------ subnets
    def create_subnet(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        vpc_id = params["VpcId"]
        check_ids([vpc_id], "vpc")
        vpcs = self._vpcs(call.region, call.account_id, call.time, [vpc_id])
        if not vpcs:
            raise vpc_not_found(vpc_id)
        if "CidrBlock" not in params:
            raise AWSError("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
        text = params["CidrBlock"]
        network = block_cidr(text)
        if not 16 <= network.prefixlen <= 28 or not network.subnet_of(ipaddress.IPv4Network(vpcs[0]["CidrBlock"])):
            raise AWSError("InvalidSubnet.Range", f"The CIDR '{text}' is invalid.")
        for (other,) in execute(call.db, f"SELECT cidr_block FROM ec2_subnets WHERE vpc_id = $vpc AND {live()}",
                                vpc=vpc_id, at=call.time).fetchall():
            if network.overlaps(ipaddress.IPv4Network(other)):
                raise AWSError("InvalidSubnet.Conflict", f"The CIDR '{text}' conflicts with another subnet")
        zones = catalog.availability_zones(call.region)
        wanted = params.get("AvailabilityZone")
        wanted_id = params.get("AvailabilityZoneId")
        if wanted or wanted_id:
            matching = [z for z in zones if z[0] == wanted or z[1] == wanted_id]
            if not matching:
                raise invalid_value(f"Value ({wanted or wanted_id}) for parameter availabilityZone is invalid. "
                                    f"Subnets can currently only be created in the following availability zones: "
                                    f"{', '.join(z[0] for z in zones)}.")
            zone, zone_id = matching[0]
        else:
            count = call.db.execute("SELECT count(*) FROM ec2_subnets WHERE vpc_id = ?", [vpc_id]).fetchone()[0]
            zone, zone_id = zones[count % len(zones)]
        tags = tags_for(params.get("TagSpecifications"), "subnet")
        subnet_id = self._insert_subnet(call.region, call.account_id, vpc_id, str(network), zone, zone_id, False,
                                        call.time)
        store_tags(call.db, call.region, call.account_id, subnet_id, tags)
        self._publish(call, [("AWS::EC2::Subnet", subnet_id, "created"), ("AWS::EC2::VPC", vpc_id, "updated")])
        return {"Subnet": self._subnets(call.region, call.account_id, call.time, [subnet_id])[0]}

    def _subnets(self, region: str, account_id: str, at: datetime, ids: list[str] | None = None) -> list[dict[str, Any]]:
        found = rows(self.lab.db, f"""
            WITH used AS (SELECT subnet_id, count(*) AS used FROM ec2_network_interfaces e WHERE {live('e')}
                          GROUP BY subnet_id)
            SELECT s.*, coalesce(u.used, 0) AS used
            FROM ec2_subnets s LEFT JOIN used u USING (subnet_id)
            WHERE s.region = $region AND s.account_id = $account AND {live('s')}
              AND ($ids IS NULL OR list_contains($ids, s.subnet_id)) ORDER BY s.created_at, s.subnet_id""",
                     region=region, account=account_id, at=at, ids=ids)
        tags = tags_of(self.lab.db, [r["subnet_id"] for r in found])
        result = []
        for r in found:
            size = ipaddress.IPv4Network(r["cidr_block"]).num_addresses
            subnet: dict[str, Any] = {
                "AvailabilityZoneId": r["availability_zone_id"], "MapCustomerOwnedIpOnLaunch": False,
                "OwnerId": account_id, "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": [],
                "SubnetArn": f"arn:aws:ec2:{region}:{account_id}:subnet/{r['subnet_id']}",
                "EnableDns64": False, "Ipv6Native": False,
                "PrivateDnsNameOptionsOnLaunch": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                                  "EnableResourceNameDnsAAAARecord": False},
                "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
                "SubnetId": r["subnet_id"], "State": "available", "VpcId": r["vpc_id"], "CidrBlock": r["cidr_block"],
                "AvailableIpAddressCount": size - 5 - r["used"], "AvailabilityZone": r["availability_zone"],
                "DefaultForAz": r["default_for_az"], "MapPublicIpOnLaunch": r["map_public_ip_on_launch"],
            }
            if tags[r["subnet_id"]]:
                subnet["Tags"] = tag_list(tags[r["subnet_id"]])
            result.append(subnet)
        return result

    def _subnet_row(self, region: str, account_id: str, at: datetime, subnet_id: str) -> dict[str, Any]:
        check_ids([subnet_id], "subnet")
        found = rows(self.lab.db, f"SELECT * FROM ec2_subnets WHERE subnet_id = $id AND region = $region "
                     f"AND account_id = $account AND {live()}", id=subnet_id, region=region, account=account_id, at=at)
        if not found:
            raise subnet_not_found(subnet_id)
        return found[0]

    def describe_subnets(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("SubnetIds") or None
        check_ids(ids or [], "subnet")
        subnets = self._subnets(call.region, call.account_id, call.time, ids)
        if ids:
            missing = [i for i in ids if i not in {s["SubnetId"] for s in subnets}]
            if missing:
                raise subnet_not_found(missing[0])
        subnets = apply_filters(subnets, params.get("Filters"), {
            "subnet-id": lambda s: [s["SubnetId"]], "vpc-id": lambda s: [s["VpcId"]],
            "availability-zone": lambda s: [s["AvailabilityZone"]],
            "availability-zone-id": lambda s: [s["AvailabilityZoneId"]],
            "cidr-block": lambda s: [s["CidrBlock"]], "default-for-az": lambda s: [s["DefaultForAz"]],
            "map-public-ip-on-launch": lambda s: [s["MapPublicIpOnLaunch"]], "state": lambda s: [s["State"]],
            "owner-id": lambda s: [s["OwnerId"]],
        })
        return {"Subnets": subnets}

    def delete_subnet(self, call: Call, params: dict[str, Any]) -> None:
        subnet = self._subnet_row(call.region, call.account_id, call.time, params["SubnetId"])
        busy = execute(call.db, f"SELECT count(*) FROM ec2_network_interfaces WHERE subnet_id = $s AND {live()}",
                       s=subnet["subnet_id"], at=call.time).fetchone()[0]
        if busy:
            raise AWSError("DependencyViolation",
                           f"The subnet '{subnet['subnet_id']}' has dependencies and cannot be deleted.")
        last = self._before_deleting(call, [("AWS::EC2::Subnet", subnet["subnet_id"])])
        call.db.execute("UPDATE ec2_subnets SET deleted_at = ? WHERE subnet_id = ?", [call.time, subnet["subnet_id"]])
        self._publish(call, [("AWS::EC2::VPC", subnet["vpc_id"], "updated")], last)

    # ------------------------------------------------------------------ network interfaces
    def _insert_eni(self, call: Call, subnet: dict[str, Any], group_ids: list[str], description: str,
                    private_ip: str | None, requester_id: str | None = None) -> str:
        db = call.db
        if private_ip is not None:
            try:
                inside = ipaddress.IPv4Address(private_ip) in ipaddress.IPv4Network(subnet["cidr_block"])
            except ValueError:
                inside = False
            if not inside:
                raise invalid_value("Address does not fall within the subnet's address range")
            if execute(db, f"SELECT 1 FROM ec2_network_interfaces WHERE subnet_id = $s AND private_ip = $ip AND {live()}",
                       s=subnet["subnet_id"], ip=private_ip, at=call.time).fetchone():
                raise AWSError("InvalidIPAddress.InUse", f"Address {private_ip} is in use.")
        eni_id = self._new_id(call.region, call.account_id, "eni")
        ip = private_ip or self._next_private_ip(subnet)
        mac = digest_int("mac", eni_id)
        mac_text = "02:" + ":".join(f"{(mac >> (8 * i)) & 0xFF:02x}" for i in range(5))
        db.execute("INSERT INTO ec2_network_interfaces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'interface', TRUE, ?, "
                   "NULL, NULL, NULL, NULL, NULL, ?, NULL)",
                   [eni_id, call.region, call.account_id, subnet["subnet_id"], subnet["vpc_id"],
                    subnet["availability_zone"], description, ip, mac_text, requester_id, call.time])
        for position, group_id in enumerate(group_ids):
            db.execute("INSERT INTO ec2_network_interface_groups VALUES (?, ?, ?)", [eni_id, group_id, position])
        return eni_id

    def create_network_interface(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        subnet = self._subnet_row(call.region, call.account_id, call.time, params["SubnetId"])
        group_ids = self._resolve_groups(call, subnet["vpc_id"], params.get("Groups") or [], [])
        tags = tags_for(params.get("TagSpecifications"), "network-interface")
        eni_id = self._insert_eni(call, subnet, group_ids, params.get("Description", ""), params.get("PrivateIpAddress"))
        store_tags(call.db, call.region, call.account_id, eni_id, tags)
        self._publish(call, [("AWS::EC2::NetworkInterface", eni_id, "created")]
                      + [("AWS::EC2::SecurityGroup", g, "updated") for g in group_ids])
        return {"NetworkInterface": self._network_interfaces(call.region, call.account_id, call.time, [eni_id])[0]}

    def _network_interfaces(self, region: str, account_id: str, at: datetime,
                            ids: list[str] | None = None) -> list[dict[str, Any]]:
        db = self.lab.db
        found = rows(db, f"""
            SELECT e.*, i.public_ip AS instance_public_ip, a.public_ip AS eip, a.allocation_id, a.association_id
            FROM ec2_network_interfaces e
            LEFT JOIN ec2_instances i ON i.primary_eni_id = e.eni_id
            LEFT JOIN ec2_addresses a ON a.eni_id = e.eni_id AND a.released_at IS NULL
            WHERE e.region = $region AND e.account_id = $account AND {live('e')}
              AND ($ids IS NULL OR list_contains($ids, e.eni_id)) ORDER BY e.created_at, e.eni_id""",
                     region=region, account=account_id, at=at, ids=ids)
        groups = self._groups_of_enis([r["eni_id"] for r in found])
        tags = tags_of(db, [r["eni_id"] for r in found])
        result = []
        for r in found:
            association = None
            if r["eip"]:
                association = {"AllocationId": r["allocation_id"], "AssociationId": r["association_id"],
                               "IpOwnerId": account_id, "PublicDnsName": public_dns(region, r["eip"]),
                               "PublicIp": r["eip"]}
            elif r["instance_public_ip"]:
                association = {"IpOwnerId": "amazon", "PublicDnsName": public_dns(region, r["instance_public_ip"]),
                               "PublicIp": r["instance_public_ip"]}
            eni: dict[str, Any] = {
                "AvailabilityZone": r["availability_zone"], "Description": r["description"],
                "Groups": groups.get(r["eni_id"], []), "InterfaceType": r["interface_type"], "Ipv6Addresses": [],
                "MacAddress": r["mac_address"], "NetworkInterfaceId": r["eni_id"], "OwnerId": account_id,
                "PrivateDnsName": private_dns(region, r["private_ip"]), "PrivateIpAddress": r["private_ip"],
                "PrivateIpAddresses": [{"Primary": True, "PrivateDnsName": private_dns(region, r["private_ip"]),
                                        "PrivateIpAddress": r["private_ip"]}],
                "RequesterManaged": False, "SourceDestCheck": r["source_dest_check"],
                "Status": "in-use" if r["instance_id"] else "available", "SubnetId": r["subnet_id"],
                "TagSet": tag_list(tags[r["eni_id"]]), "VpcId": r["vpc_id"],
            }
            if r["requester_id"]:
                eni["RequesterId"] = r["requester_id"]
            if association:
                eni["Association"] = association
                eni["PrivateIpAddresses"][0]["Association"] = association
            if r["instance_id"]:
                eni["Attachment"] = {"AttachTime": r["attach_time"], "AttachmentId": r["attachment_id"],
                                     "DeleteOnTermination": r["delete_on_termination"],
                                     "DeviceIndex": r["device_index"], "NetworkCardIndex": 0,
                                     "InstanceId": r["instance_id"], "InstanceOwnerId": account_id,
                                     "Status": "attached"}
            result.append(eni)
        return result

    def describe_network_interfaces(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("NetworkInterfaceIds") or None
        check_ids(ids or [], "eni")
        enis = self._network_interfaces(call.region, call.account_id, call.time, ids)
        if ids:
            missing = [i for i in ids if i not in {e["NetworkInterfaceId"] for e in enis}]
            if missing:
                raise eni_not_found(missing[0])
        enis = apply_filters(enis, params.get("Filters"), {
            "network-interface-id": lambda e: [e["NetworkInterfaceId"]], "subnet-id": lambda e: [e["SubnetId"]],
            "vpc-id": lambda e: [e["VpcId"]], "status": lambda e: [e["Status"]],
            "availability-zone": lambda e: [e["AvailabilityZone"]],
            "private-ip-address": lambda e: [e["PrivateIpAddress"]], "description": lambda e: [e["Description"]],
            "attachment.instance-id": lambda e: [e.get("Attachment", {}).get("InstanceId")],
            "group-id": lambda e: [g["GroupId"] for g in e["Groups"]],
            "association.public-ip": lambda e: [e.get("Association", {}).get("PublicIp")],
        }, tags_key="TagSet")
        return {"NetworkInterfaces": enis}

    def delete_network_interface(self, call: Call, params: dict[str, Any]) -> None:
        eni_id = params["NetworkInterfaceId"]
        check_ids([eni_id], "eni")
        enis = self._network_interfaces(call.region, call.account_id, call.time, [eni_id])
        if not enis:
            raise eni_not_found(eni_id)
        if "Attachment" in enis[0]:
            raise AWSError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
        last = self._before_deleting(call, [("AWS::EC2::NetworkInterface", eni_id)])
        call.db.execute("UPDATE ec2_network_interfaces SET deleted_at = ? WHERE eni_id = ?", [call.time, eni_id])
        call.db.execute("UPDATE ec2_addresses SET association_id = NULL, eni_id = NULL, private_ip = NULL "
                        "WHERE eni_id = ?", [eni_id])
        self._publish(call, [("AWS::EC2::SecurityGroup", g["GroupId"], "updated") for g in enis[0]["Groups"]], last)
