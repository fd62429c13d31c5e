"""What every EC2 operation shares: deterministic ids, id and CIDR validation, tags, Describe filters.

EC2's error codes and messages: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
(messages are those AWS returns, as recorded in public logs and issue threads; see the tests).
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import re
from typing import Any, Callable, Iterable

from ..errors import AWSError

# ------------------------------------------------------------------ ids

class IdAllocator:
    """Hands out the numbers every EC2 id derives from.

    The counter lives in ``ec2_counters`` (so a reopened lab carries on and a failed call's numbers
    roll back with it) but is read once and written once per call, not once per id.
    """

    def __init__(self, db) -> None:
        self.db = db
        self.value: int | None = None
        self.start: int | None = None

    def number(self) -> int:
        if self.value is None:
            self.value = self.start = self.db.execute("SELECT value FROM ec2_counters WHERE name = 'ids'").fetchone()[0]
        self.value += 1
        return self.value

    def new_id(self, region: str, account_id: str, prefix: str) -> str:
        """A fresh id such as ``i-0c8f3b5e1d2a4f6b7`` (prefix, dash, 17 hex digits)."""
        number = self.number()
        digest = hashlib.sha256(f"{account_id}/{region}/{prefix}/{number}".encode()).hexdigest()
        return f"{prefix}-0{digest[:16]}"

    def save(self) -> None:
        if self.value is not None and self.value != self.start:
            self.db.execute("UPDATE ec2_counters SET value = ? WHERE name = 'ids'", [self.value])
        self.value = self.start = None


def digest_int(*parts: object) -> int:
    """A stable integer from ``parts`` (for addresses and MACs that must not change between runs)."""
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:12], 16)


_ID_BODY = re.compile(r"^[0-9a-f]{8}$|^[0-9a-f]{17}$")

MALFORMED_CODES = {
    "i": "InvalidInstanceID.Malformed", "vol": "InvalidVolumeID.Malformed", "sg": "InvalidGroupId.Malformed",
    "vpc": "InvalidVpcID.Malformed", "subnet": "InvalidSubnetID.Malformed",
    "eni": "InvalidNetworkInterfaceID.Malformed", "ami": "InvalidAMIID.Malformed",
    "eipalloc": "InvalidAllocationID.Malformed", "eipassoc": "InvalidAssociationID.Malformed",
}


def is_well_formed(resource_id: str, prefix: str) -> bool:
    head, dash, body = resource_id.rpartition("-")
    return dash == "-" and head == prefix and bool(_ID_BODY.match(body))


def check_ids(ids: Iterable[str], prefix: str) -> None:
    """Raise EC2's ``…Malformed`` error for the first id that is not ``prefix-`` and 8 or 17 hex digits."""
    for resource_id in ids:
        if not is_well_formed(resource_id, prefix):
            if prefix == "sg":
                raise AWSError("InvalidGroupId.Malformed", f"Invalid id: \"{resource_id}\" (expecting \"sg-...\")")
            raise AWSError(MALFORMED_CODES[prefix], f"Invalid id: \"{resource_id}\"")


def instance_not_found(missing: list[str]) -> AWSError:
    if len(missing) == 1:
        return AWSError("InvalidInstanceID.NotFound", f"The instance ID '{missing[0]}' does not exist")
    return AWSError("InvalidInstanceID.NotFound", f"The instance IDs '{', '.join(missing)}' do not exist")


def volume_not_found(missing: list[str]) -> AWSError:
    if len(missing) == 1:
        return AWSError("InvalidVolume.NotFound", f"The volume '{missing[0]}' does not exist.")
    return AWSError("InvalidVolume.NotFound", f"The volumes '{', '.join(missing)}' do not exist.")


def group_not_found(group: str) -> AWSError:
    return AWSError("InvalidGroup.NotFound", f"The security group '{group}' does not exist")


def vpc_not_found(vpc_id: str) -> AWSError:
    return AWSError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")


def subnet_not_found(subnet_id: str) -> AWSError:
    return AWSError("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist")


def eni_not_found(eni_id: str) -> AWSError:
    return AWSError("InvalidNetworkInterfaceID.NotFound", f"The networkInterface ID '{eni_id}' does not exist")


def invalid_value(message: str) -> AWSError:
    return AWSError("InvalidParameterValue", message)


# ------------------------------------------------------------------ CIDR blocks

def rule_cidr(text: str, version: int) -> str:
    """A security-group rule's CidrIp/CidrIpv6, normalised to its network address as EC2 stores it.

    EC2 accepts host bits (10.0.0.28/29 is stored as 10.0.0.24/29) but nothing else malformed:
    "CIDR block 10.0.0.0/33 is malformed" (InvalidParameterValue).
    """
    try:
        if "/" not in text:
            raise ValueError(text)
        network = ipaddress.ip_network(text, strict=False)
        if network.version != version:
            raise ValueError(text)
    except ValueError:
        raise invalid_value(f"CIDR block {text} is malformed") from None
    return str(network)


def block_cidr(text: str) -> ipaddress.IPv4Network:
    """A VPC's or subnet's CidrBlock: a strict IPv4 network (no host bits)."""
    try:
        if "/" not in text:
            raise ValueError(text)
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        raise invalid_value(f"Value ({text}) for parameter cidrBlock is invalid. "
                            "This is not a valid CIDR block.") from None


# ------------------------------------------------------------------ tags

RESERVED_TAG_PREFIX = "aws:"


def check_tags(tags: list[dict[str, str]], *, allow_reserved: bool = False) -> dict[str, str]:
    """Validate Tag items; returns them as a dict (a later duplicate key wins, as EC2 does).
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions"""
    result: dict[str, str] = {}
    for tag in tags:
        key = tag.get("Key", "")
        value = tag.get("Value", "")
        if not key or len(key) > 128:
            raise invalid_value("Tag key exceeds the maximum length of 128 characters"
                                if key else "Tag key cannot be empty")
        if len(value) > 256:
            raise invalid_value("Tag value exceeds the maximum length of 256 characters")
        if key.lower().startswith(RESERVED_TAG_PREFIX) and not allow_reserved:
            raise invalid_value("Tag keys starting with 'aws:' are reserved for internal use")
        result[key] = value
    if len(result) > 50:
        raise AWSError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
    return result


def tags_for(specifications: list[dict[str, Any]] | None, resource_type: str,
             allowed: Iterable[str] | None = None, *, allow_reserved: bool = False) -> dict[str, str]:
    """The tags TagSpecifications give ``resource_type``; a type the operation cannot tag is an error.
    Only AWS services (Auto Scaling, CloudFormation) may set ``aws:`` tags (``allow_reserved``)."""
    allowed = set(allowed or [resource_type])
    tags: dict[str, str] = {}
    for spec in specifications or []:
        kind = spec.get("ResourceType", "")
        if kind not in allowed:
            raise invalid_value(f"'{kind}' is not a valid taggable resource type for this operation.")
        if kind == resource_type:
            tags.update(check_tags(spec.get("Tags", []), allow_reserved=allow_reserved))
    return tags


def store_tags(db, region: str, account_id: str, resource_id: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        db.execute("DELETE FROM ec2_tags WHERE resource_id = ? AND key = ?", [resource_id, key])
        db.execute("INSERT INTO ec2_tags VALUES (?, ?, ?, ?, ?)", [region, account_id, resource_id, key, value])


def tags_of(db, resource_ids: list[str]) -> dict[str, dict[str, str]]:
    """{resource id: {key: value}} for the given resources."""
    found: dict[str, dict[str, str]] = {rid: {} for rid in resource_ids}
    if resource_ids:
        rows = db.execute("SELECT resource_id, key, value FROM ec2_tags WHERE list_contains(?, resource_id) "
                          "ORDER BY resource_id, key", [resource_ids]).fetchall()
        for rid, key, value in rows:
            found.setdefault(rid, {})[key] = value
    return found


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# ------------------------------------------------------------------ Describe filters

Extractor = Callable[[dict[str, Any]], Iterable[Any]]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply_filters(items: list[dict[str, Any]], filters: list[dict[str, Any]] | None,
                  extractors: dict[str, Extractor], tags_key: str = "Tags") -> list[dict[str, Any]]:
    """Keep the items every filter matches: values are OR-ed, filters AND-ed; ``*`` and ``?`` are
    wildcards. ``tag:<key>``, ``tag-key`` and ``tag-value`` work on every resource.
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html"""
    checks: list[tuple[Extractor, list[str]]] = []
    for spec in filters or []:
        name = spec.get("Name", "")
        values = [str(v) for v in spec.get("Values", [])]
        if name.startswith("tag:"):
            key = name[4:]
            extract: Extractor = lambda item, key=key: [t["Value"] for t in item.get(tags_key, []) if t["Key"] == key]
        elif name == "tag-key":
            extract = lambda item: [t["Key"] for t in item.get(tags_key, [])]
        elif name == "tag-value":
            extract = lambda item: [t["Value"] for t in item.get(tags_key, [])]
        elif name in extractors:
            extract = extractors[name]
        else:
            raise invalid_value(f"The filter '{name}' is invalid")
        checks.append((extract, values))
    kept = []
    for item in items:
        if all(any(fnmatch.fnmatchcase(_text(found), pattern) for found in extract(item) if found is not None
                   for pattern in values) for extract, values in checks):
            kept.append(item)
    return kept


def paginate(items: list[Any], params: dict[str, Any], key: str, *, minimum: int = 5,
             maximum: int = 1000) -> dict[str, Any]:
    """One page of ``items`` under ``key``, with NextToken when more remain."""
    limit = params.get("MaxResults")
    token = params.get("NextToken")
    start = 0
    if token is not None:
        if not token.isdigit() or int(token) > len(items):
            raise AWSError("InvalidNextToken", f"The token '{token}' is invalid")
        start = int(token)
    if limit is None:
        return {key: items[start:]}
    if not minimum <= limit <= maximum:
        raise invalid_value(f"Value ( {limit} ) for parameter maxResults is invalid. "
                            f"Parameter must be between {minimum} and {maximum}.")
    page: dict[str, Any] = {key: items[start:start + limit]}
    if start + limit < len(items):
        page["NextToken"] = str(start + limit)
    return page


# ------------------------------------------------------------------ rows

_NAMED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def execute(db, sql: str, **params: Any):
    """Run ``sql`` binding the ``$name`` parameters it uses from ``params`` (others are ignored)."""
    used = set(_NAMED.findall(sql))
    return db.execute(sql, {k: v for k, v in params.items() if k in used})


def rows(db, sql: str, **params: Any) -> list[dict[str, Any]]:
    """The result of ``sql`` as a list of {column: value} dicts."""
    cursor = execute(db, sql, **params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def insert_rows(db, table: str, found: list[tuple]) -> None:
    """Insert ``found`` rows into ``table`` with one multi-row INSERT."""
    if found:
        marks = ", ".join("(" + ", ".join("?" * len(row)) + ")" for row in found)
        db.execute(f"INSERT INTO {table} VALUES {marks}", [value for row in found for value in row])


def live(alias: str = "") -> str:
    """SQL: the row exists at ``$at`` (created at or before it, not deleted by then)."""
    prefix = f"{alias}." if alias else ""
    return f"({prefix}created_at <= $at AND ({prefix}deleted_at IS NULL OR {prefix}deleted_at > $at))"
