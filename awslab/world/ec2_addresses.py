"""Elastic IP addresses: AllocateAddress, AssociateAddress, DisassociateAddress, ReleaseAddress,
DescribeAddresses.

https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html — an Elastic IP
associated with an instance replaces its public IPv4 address; it must be disassociated before it
can be released; associating an address that is already associated needs AllowReassociation.
"""

from __future__ import annotations

from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .ec2_common import (apply_filters, check_ids, eni_not_found, execute, instance_not_found, rows, store_tags,
                         tag_list, tags_for, tags_of)
from .ec2_network import public_ip


def allocation_not_found(allocation_id: str) -> AWSError:
    return AWSError("InvalidAllocationID.NotFound", f"The allocation ID '{allocation_id}' does not exist")


class AddressesMixin:
    """Handlers for Elastic IP addresses (mixed into Ec2Service)."""

    def allocate_address(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("Domain", "vpc") != "vpc":
            raise AWSError("InvalidParameterValue", "EC2-Classic addresses are no longer available; use Domain 'vpc'.")
        tags = tags_for(params.get("TagSpecifications"), "elastic-ip")
        allocation_id = self._new_id(call.region, call.account_id, "eipalloc")
        address = params.get("Address") or public_ip(call.account_id, call.region, allocation_id, first=3)
        call.db.execute("INSERT INTO ec2_addresses VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, NULL)",
                        [allocation_id, call.region, call.account_id, address, call.time])
        store_tags(call.db, call.region, call.account_id, allocation_id, tags)
        self._publish(call, [("AWS::EC2::EIP", allocation_id, "created")])
        return {"PublicIp": address, "AllocationId": allocation_id, "PublicIpv4Pool": "amazon",
                "NetworkBorderGroup": call.region, "Domain": "vpc"}

    def _addresses(self, region: str, account_id: str, ids: list[str] | None = None) -> list[dict[str, Any]]:
        found = rows(self.lab.db, "SELECT * FROM ec2_addresses WHERE region = $region AND account_id = $account "
                     "AND released_at IS NULL AND ($ids IS NULL OR list_contains($ids, allocation_id)) "
                     "ORDER BY allocated_at, allocation_id", region=region, account=account_id, ids=ids)
        tags = tags_of(self.lab.db, [r["allocation_id"] for r in found])
        result = []
        for r in found:
            address: dict[str, Any] = {"PublicIp": r["public_ip"], "AllocationId": r["allocation_id"],
                                       "Domain": "vpc", "PublicIpv4Pool": "amazon", "NetworkBorderGroup": region}
            if r["association_id"]:
                address.update({"AssociationId": r["association_id"], "NetworkInterfaceId": r["eni_id"],
                                "NetworkInterfaceOwnerId": account_id, "PrivateIpAddress": r["private_ip"]})
                if r["instance_id"]:
                    address["InstanceId"] = r["instance_id"]
            if tags[r["allocation_id"]]:
                address["Tags"] = tag_list(tags[r["allocation_id"]])
            result.append(address)
        return result

    def _address_row(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("AllocationId"):
            allocation_id = params["AllocationId"]
            check_ids([allocation_id], "eipalloc")
            found = rows(call.db, "SELECT * FROM ec2_addresses WHERE allocation_id = $id AND region = $region "
                         "AND account_id = $account AND released_at IS NULL",
                         id=allocation_id, region=call.region, account=call.account_id)
            if not found:
                raise allocation_not_found(allocation_id)
            return found[0]
        if params.get("PublicIp"):
            found = rows(call.db, "SELECT * FROM ec2_addresses WHERE public_ip = $ip AND region = $region "
                         "AND account_id = $account AND released_at IS NULL",
                         ip=params["PublicIp"], region=call.region, account=call.account_id)
            if not found:
                raise AWSError("InvalidAddress.NotFound", f"Address '{params['PublicIp']}' not found.")
            return found[0]
        raise AWSError("MissingParameter", "Either public IP or allocation id must be specified")

    def describe_addresses(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("AllocationIds") or None
        check_ids(ids or [], "eipalloc")
        addresses = self._addresses(call.region, call.account_id, ids)
        if ids:
            missing = [i for i in ids if i not in {a["AllocationId"] for a in addresses}]
            if missing:
                raise allocation_not_found(missing[0])
        for ip in params.get("PublicIps") or []:
            if ip not in {a["PublicIp"] for a in addresses}:
                raise AWSError("InvalidAddress.NotFound", f"Address '{ip}' not found.")
        if params.get("PublicIps"):
            addresses = [a for a in addresses if a["PublicIp"] in params["PublicIps"]]
        addresses = apply_filters(addresses, params.get("Filters"), {
            "allocation-id": lambda a: [a["AllocationId"]], "association-id": lambda a: [a.get("AssociationId")],
            "domain": lambda a: [a["Domain"]], "instance-id": lambda a: [a.get("InstanceId")],
            "network-interface-id": lambda a: [a.get("NetworkInterfaceId")], "public-ip": lambda a: [a["PublicIp"]],
            "private-ip-address": lambda a: [a.get("PrivateIpAddress")],
            "network-border-group": lambda a: [a["NetworkBorderGroup"]],
        })
        return {"Addresses": addresses}

    def associate_address(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        address = self._address_row(call, params)
        instance_id = params.get("InstanceId")
        eni_id = params.get("NetworkInterfaceId")
        if not instance_id and not eni_id:
            raise AWSError("MissingParameter", "Either instance ID or network interface ID must be specified")
        if instance_id:
            check_ids([instance_id], "i")
            found = execute(call.db, "SELECT i.primary_eni_id, s.state FROM ec2_instances i "
                            "JOIN (" + self._state_sql() + ") s USING (instance_id) "
                            "WHERE i.instance_id = $id AND i.region = $region AND i.account_id = $account",
                            id=instance_id, region=call.region, account=call.account_id, at=call.time).fetchone()
            if found is None or found[1] == "terminated":
                raise instance_not_found([instance_id])
            if found[1] not in ("running", "stopped", "stopping"):
                raise AWSError("IncorrectInstanceState",
                               f"The instance '{instance_id}' is not in a valid state for this operation.")
            eni_id = found[0]
        else:
            check_ids([eni_id], "eni")
            enis = self._network_interfaces(call.region, call.account_id, call.time, [eni_id])
            if not enis:
                raise eni_not_found(eni_id)
            instance_id = enis[0].get("Attachment", {}).get("InstanceId")
        if address["association_id"] and not params.get("AllowReassociation", False) and address["eni_id"] != eni_id:
            raise AWSError("Resource.AlreadyAssociated",
                           f"resource {address['allocation_id']} is already associated with associate-id "
                           f"{address['association_id']}")
        # An instance or interface holds one Elastic IP: associating another one disassociates the old.
        for other in rows(call.db, "SELECT * FROM ec2_addresses WHERE eni_id = $eni AND released_at IS NULL "
                          "AND allocation_id <> $id", eni=eni_id, id=address["allocation_id"]):
            self._disassociate(call, other)
        association_id = self._new_id(call.region, call.account_id, "eipassoc")
        private_ip = call.db.execute("SELECT private_ip FROM ec2_network_interfaces WHERE eni_id = ?",
                                     [eni_id]).fetchone()[0]
        old_instance = address["instance_id"]
        call.db.execute("UPDATE ec2_addresses SET association_id = ?, instance_id = ?, eni_id = ?, private_ip = ? "
                        "WHERE allocation_id = ?", [association_id, instance_id, eni_id, private_ip,
                                                    address["allocation_id"]])
        changes = [("AWS::EC2::EIP", address["allocation_id"], "updated"),
                   ("AWS::EC2::NetworkInterface", eni_id, "updated")]
        for affected in {instance_id, old_instance} - {None}:
            changes.append(("AWS::EC2::Instance", affected, "updated"))
        self._publish(call, changes)
        return {"AssociationId": association_id}

    def disassociate_address(self, call: Call, params: dict[str, Any]) -> None:
        if params.get("AssociationId"):
            association_id = params["AssociationId"]
            check_ids([association_id], "eipassoc")
            found = rows(call.db, "SELECT * FROM ec2_addresses WHERE association_id = $id AND region = $region "
                         "AND account_id = $account AND released_at IS NULL",
                         id=association_id, region=call.region, account=call.account_id)
            if not found:
                raise AWSError("InvalidAssociationID.NotFound",
                               f"The association ID '{association_id}' does not exist")
            address = found[0]
        else:
            address = self._address_row(call, params)
            if not address["association_id"]:
                return None
        self._disassociate(call, address)
        return None

    def _disassociate(self, call: Call, address: dict[str, Any]) -> None:
        call.db.execute("UPDATE ec2_addresses SET association_id = NULL, instance_id = NULL, eni_id = NULL, "
                        "private_ip = NULL WHERE allocation_id = ?", [address["allocation_id"]])
        changes = [("AWS::EC2::EIP", address["allocation_id"], "updated"),
                   ("AWS::EC2::NetworkInterface", address["eni_id"], "updated")]
        if address["instance_id"]:
            changes.append(("AWS::EC2::Instance", address["instance_id"], "updated"))
        self._publish(call, changes)

    def release_address(self, call: Call, params: dict[str, Any]) -> None:
        address = self._address_row(call, params)
        if address["association_id"]:
            raise AWSError("InvalidIPAddress.InUse", "Address is in use.")
        last = self._before_deleting(call, [("AWS::EC2::EIP", address["allocation_id"])])
        call.db.execute("UPDATE ec2_addresses SET released_at = ? WHERE allocation_id = ?",
                        [call.time, address["allocation_id"]])
        self._publish(call, [], last)
        return None
