"""Facts about the EC2 world that are not state: instance types, lab AMIs, Availability Zones,
instance states and how long each transition takes.

Instance states and codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html
Lifecycle: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html
Which types run on Nitro: https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-nitro-instances.html
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

STATE_CODES: dict[str, int] = {
    "pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80,
}
"""InstanceState.Code for each InstanceState.Name (the low byte; AWS ignores the high byte)."""

TRANSITIONS: dict[str, tuple[str, timedelta]] = {
    "pending": ("running", timedelta(seconds=30)),
    "stopping": ("stopped", timedelta(seconds=60)),
    "shutting-down": ("terminated", timedelta(seconds=60)),
}
"""Where each transitional state leads and how long it lasts on the lab clock.

AWS documents the order of states, not their durations ("pending → running takes time"); these are
the lab's choices, short enough for a notebook and long enough to be seen. Advance the clock to
see an instance reach ``running``: ``lab.advance(minutes=1)``.
"""

TERMINATED_VISIBLE = timedelta(hours=1)
"""A terminated instance stays visible in DescribeInstances for about an hour (lifecycle page)."""

STATUS_CHECKS_AFTER = timedelta(minutes=2)
"""Status check metrics appear once the instance has initialised, a few minutes after it enters
``running`` (CloudWatch UG, ec2-metricscollected, "Status check metrics")."""

_XEN_FAMILIES = {
    "t1", "t2", "m1", "m2", "m3", "m4", "c1", "c3", "c4", "r3", "r4", "i2", "i3", "d2", "x1", "x1e",
    "p2", "p3", "g2", "g3", "g3s", "h1", "f1",
}
_NITRO_FAMILIES = {
    "t3", "t3a", "t4g", "m5", "m5a", "m5n", "m5zn", "m5d", "m5ad", "m5dn", "m6i", "m6id", "m6a", "m6g",
    "m6gd", "m7i", "m7i-flex", "m7a", "m7g", "m7gd", "m8g", "c5", "c5a", "c5n", "c5d", "c5ad", "c6i",
    "c6id", "c6a", "c6g", "c6gd", "c6gn", "c7i", "c7a", "c7g", "c7gn", "c8g", "r5", "r5a", "r5n", "r5d",
    "r5ad", "r6i", "r6id", "r6a", "r6g", "r6gd", "r7i", "r7a", "r7g", "r8g", "i3en", "i4i", "i4g", "d3",
    "d3en", "x2idn", "x2iedn", "z1d", "a1", "g4dn", "g4ad", "g5", "g5g", "g6", "p4d", "p5", "inf1",
    "inf2", "trn1",
}
_INSTANCE_STORE_FAMILIES = {
    "m1", "m2", "m3", "c1", "c3", "r3", "i2", "i3", "d2", "x1", "x1e", "h1", "f1", "m5d", "m5ad", "m5dn",
    "m6id", "m6gd", "m7gd", "c5d", "c5ad", "c6id", "c6gd", "r5d", "r5ad", "r6id", "r6gd", "i3en", "i4i",
    "i4g", "d3", "d3en", "x2idn", "x2iedn", "z1d", "g4dn", "g4ad", "g5", "g6", "p4d", "p5",
}
_SIZES = {
    "nano": 1, "micro": 1, "small": 1, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8,
    "3xlarge": 12, "4xlarge": 16, "6xlarge": 24, "8xlarge": 32, "9xlarge": 36, "10xlarge": 40,
    "12xlarge": 48, "16xlarge": 64, "18xlarge": 72, "24xlarge": 96, "32xlarge": 128, "48xlarge": 192,
    "metal": 96,
}


@dataclass(frozen=True)
class InstanceType:
    """What the lab needs to know of an instance type: hypervisor, vCPUs, instance store, CPU kind."""

    name: str
    hypervisor: str          # "xen" or "nitro": decides how basic-monitoring metrics are published
    vcpus: int
    instance_store: bool     # DiskReadOps… report instance-store activity, else 0
    architecture: str        # "x86_64" or "arm64"

    @property
    def network_scale(self) -> float:
        """Bytes per minute at full load: bigger instances move more traffic."""
        return 6_000_000.0 * max(self.vcpus, 1) ** 0.5


def instance_type(name: str) -> InstanceType | None:
    """The InstanceType called ``name`` ("t3.micro"), or None if EC2 has no such type."""
    family, dot, size = name.partition(".")
    if not dot or size not in _SIZES or family not in _XEN_FAMILIES | _NITRO_FAMILIES:
        return None
    arm = family in {"a1"} or (len(family) > 2 and "g" in family[2:] and family[:1] in "mcrtxi")
    return InstanceType(name, "xen" if family in _XEN_FAMILIES else "nitro", _SIZES[size],
                        family in _INSTANCE_STORE_FAMILIES, "arm64" if arm else "x86_64")


@dataclass(frozen=True)
class MachineImage:
    image_id: str
    name: str
    description: str
    platform: str            # "linux" or "windows"
    architecture: str
    root_device_name: str
    root_volume_size: int    # GiB
    root_volume_type: str


LAB_IMAGES: dict[str, MachineImage] = {image.image_id: image for image in [
    MachineImage("ami-0a1b2c3d4e5f60001", "al2023-ami-2023.6.20250101.0-kernel-6.1-x86_64",
                 "Amazon Linux 2023 AMI (lab copy)", "linux", "x86_64", "/dev/xvda", 8, "gp3"),
    MachineImage("ami-0a1b2c3d4e5f60002", "amzn2-ami-kernel-5.10-hvm-2.0.20250101.0-x86_64-gp2",
                 "Amazon Linux 2 AMI (lab copy)", "linux", "x86_64", "/dev/xvda", 8, "gp2"),
    MachineImage("ami-0a1b2c3d4e5f60003", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250101",
                 "Canonical, Ubuntu, 24.04 LTS (lab copy)", "linux", "x86_64", "/dev/sda1", 8, "gp3"),
    MachineImage("ami-0a1b2c3d4e5f60004", "al2023-ami-2023.6.20250101.0-kernel-6.1-arm64",
                 "Amazon Linux 2023 AMI for arm64 (lab copy)", "linux", "arm64", "/dev/xvda", 8, "gp3"),
    MachineImage("ami-0a1b2c3d4e5f60005", "Windows_Server-2022-English-Full-Base-2025.01.01",
                 "Microsoft Windows Server 2022 Full Locale English AMI (lab copy)", "windows", "x86_64",
                 "/dev/sda1", 30, "gp3"),
]}
"""A few well-known images the lab lists in DescribeImages; RunInstances accepts any ami- id."""

DEFAULT_IMAGE_ID = "ami-0a1b2c3d4e5f60001"


def image_for(image_id: str) -> MachineImage:
    """The lab image, or a plain Linux image for any other well-formed ami- id."""
    known = LAB_IMAGES.get(image_id)
    if known is not None:
        return known
    return MachineImage(image_id, image_id, "", "linux", "x86_64", "/dev/xvda", 8, "gp2")


_ZONE_LETTERS = {
    "us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "ac", "us-west-2": "abcd", "eu-west-1": "abc",
    "eu-west-2": "abc", "eu-central-1": "abc", "ap-southeast-1": "abc", "ap-northeast-1": "acd",
}
_DIRECTIONS = {"east": "e", "west": "w", "central": "c", "north": "n", "south": "s", "northeast": "ne",
               "northwest": "nw", "southeast": "se", "southwest": "sw"}


def availability_zones(region: str) -> list[tuple[str, str]]:
    """(ZoneName, ZoneId) of each Availability Zone of ``region``: us-east-1a / use1-az1, …"""
    parts = region.split("-")
    short = parts[0] + "".join(_DIRECTIONS.get(p, p[:1]) for p in parts[1:-1]) + parts[-1]
    letters = _ZONE_LETTERS.get(region, "abc")
    return [(f"{region}{letter}", f"{short}-az{i + 1}") for i, letter in enumerate(letters)]


DEFAULT_VPC_CIDR = "172.31.0.0/16"
"""The default VPC's block; its default subnets are consecutive /20s, one per zone.
https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html"""

VOLUME_LIMITS: dict[str, tuple[int, int]] = {
    "standard": (1, 1024), "gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384), "io2": (4, 65536),
    "st1": (125, 16384), "sc1": (125, 16384),
}
"""Size range in GiB per EBS volume type. https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html"""

DEFAULT_IOPS = {"gp3": 3000, "io1": 100, "io2": 100}
