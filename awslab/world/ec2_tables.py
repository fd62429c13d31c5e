"""The ec2_* tables: the lab's EC2 world as rows.

Lifecycles are stored as timestamps, not as a current state, so the state at any instant is a
query (see ``STATE_AT_SQL``): an instance's states are rows with the instant they were (or will
be) entered; a volume has ``deleted_at``; an attachment has ``detached_at``.
"""

from __future__ import annotations

CREATE_TABLES = [
    "CREATE TABLE IF NOT EXISTS ec2_counters (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)",
    "INSERT INTO ec2_counters SELECT 'ids', 0 WHERE NOT EXISTS (SELECT 1 FROM ec2_counters WHERE name = 'ids')",
    """CREATE TABLE IF NOT EXISTS ec2_account_settings (
        region VARCHAR, account_id VARCHAR, ebs_encryption_by_default BOOLEAN NOT NULL,
        ebs_default_kms_key_id VARCHAR, PRIMARY KEY (region, account_id))""",
    """CREATE TABLE IF NOT EXISTS ec2_tags (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, resource_id VARCHAR NOT NULL,
        key VARCHAR NOT NULL, value VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_vpcs (
        vpc_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        cidr_block VARCHAR NOT NULL, cidr_association_id VARCHAR NOT NULL, is_default BOOLEAN NOT NULL,
        instance_tenancy VARCHAR NOT NULL, dhcp_options_id VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_subnets (
        subnet_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        vpc_id VARCHAR NOT NULL, cidr_block VARCHAR NOT NULL, availability_zone VARCHAR NOT NULL,
        availability_zone_id VARCHAR NOT NULL, default_for_az BOOLEAN NOT NULL,
        map_public_ip_on_launch BOOLEAN NOT NULL,
        created_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_security_groups (
        group_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        vpc_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL, description VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_security_group_rules (
        rule_id VARCHAR PRIMARY KEY, group_id VARCHAR NOT NULL, is_egress BOOLEAN NOT NULL,
        ip_protocol VARCHAR NOT NULL, from_port INTEGER, to_port INTEGER, cidr_ipv4 VARCHAR,
        cidr_ipv6 VARCHAR, referenced_group_id VARCHAR, referenced_user_id VARCHAR,
        description VARCHAR, seq BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_instances (
        instance_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        reservation_id VARCHAR NOT NULL, requester_id VARCHAR, image_id VARCHAR NOT NULL,
        platform VARCHAR NOT NULL, architecture VARCHAR NOT NULL, instance_type VARCHAR NOT NULL,
        hypervisor VARCHAR NOT NULL, instance_store BOOLEAN NOT NULL, network_scale DOUBLE NOT NULL,
        subnet_id VARCHAR NOT NULL, vpc_id VARCHAR NOT NULL, availability_zone VARCHAR NOT NULL,
        private_ip VARCHAR NOT NULL, public_ip VARCHAR, primary_eni_id VARCHAR NOT NULL,
        launch_index INTEGER NOT NULL, key_name VARCHAR, iam_instance_profile_arn VARCHAR,
        ebs_optimized BOOLEAN NOT NULL, client_token VARCHAR, root_device_name VARCHAR NOT NULL,
        shutdown_behavior VARCHAR NOT NULL, launch_time TIMESTAMPTZ NOT NULL,
        state_transition_reason VARCHAR NOT NULL, state_reason_code VARCHAR, state_reason_message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS ec2_instance_states (
        instance_id VARCHAR NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        state VARCHAR NOT NULL, entered_at TIMESTAMPTZ NOT NULL, seq BIGINT NOT NULL,
        published BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_monitoring (
        instance_id VARCHAR NOT NULL, effective_from TIMESTAMPTZ NOT NULL, detailed BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_network_interfaces (
        eni_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        subnet_id VARCHAR NOT NULL, vpc_id VARCHAR NOT NULL, availability_zone VARCHAR NOT NULL,
        description VARCHAR NOT NULL, private_ip VARCHAR NOT NULL, mac_address VARCHAR NOT NULL,
        interface_type VARCHAR NOT NULL, source_dest_check BOOLEAN NOT NULL, requester_id VARCHAR,
        attachment_id VARCHAR, instance_id VARCHAR, device_index INTEGER, attach_time TIMESTAMPTZ,
        delete_on_termination BOOLEAN, created_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_network_interface_groups (
        eni_id VARCHAR NOT NULL, group_id VARCHAR NOT NULL, position INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_volumes (
        volume_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        availability_zone VARCHAR NOT NULL, size INTEGER NOT NULL, volume_type VARCHAR NOT NULL,
        iops INTEGER, throughput INTEGER, encrypted BOOLEAN NOT NULL, kms_key_id VARCHAR,
        snapshot_id VARCHAR, multi_attach BOOLEAN NOT NULL, created_at TIMESTAMPTZ NOT NULL,
        deleted_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_volume_attachments (
        volume_id VARCHAR NOT NULL, instance_id VARCHAR NOT NULL, device VARCHAR NOT NULL,
        attach_time TIMESTAMPTZ NOT NULL, delete_on_termination BOOLEAN NOT NULL, detached_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_launch_templates (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, template_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
        data JSON NOT NULL, created TIMESTAMPTZ NOT NULL, created_by VARCHAR, PRIMARY KEY (template_id))""",
    """CREATE TABLE IF NOT EXISTS ec2_addresses (
        allocation_id VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        public_ip VARCHAR NOT NULL, association_id VARCHAR, instance_id VARCHAR, eni_id VARCHAR,
        private_ip VARCHAR, allocated_at TIMESTAMPTZ NOT NULL, released_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS ec2_workloads (
        instance_id VARCHAR NOT NULL, effective_from TIMESTAMPTZ NOT NULL, profile VARCHAR NOT NULL,
        base DOUBLE NOT NULL, amplitude DOUBLE NOT NULL, seed VARCHAR NOT NULL,
        incident_at TIMESTAMPTZ, incident_minutes INTEGER NOT NULL, incident_kind VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_scheduled_changes (
        due_at TIMESTAMPTZ NOT NULL, seq BIGINT NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        resource_type VARCHAR NOT NULL, resource_id VARCHAR NOT NULL, status VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_job_progress (name VARCHAR PRIMARY KEY, done_until TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ec2_metric_batch (
        region VARCHAR, account_id VARCHAR, namespace VARCHAR, metric_name VARCHAR, dimensions VARCHAR,
        timestamp TIMESTAMPTZ, unit VARCHAR, storage_resolution INTEGER, value DOUBLE, count DOUBLE,
        sample_count DOUBLE, sum DOUBLE, minimum DOUBLE, maximum DOUBLE, received_at TIMESTAMPTZ)""",
]

TABLES = {
    "ec2_counters": "the EC2 id counter: every id the lab issues derives from it, so runs are reproducible",
    "ec2_account_settings": "per region: EBS encryption by default and its KMS key",
    "ec2_tags": "one row per tag of an EC2 resource (instance, volume, security group, VPC, subnet, ENI, EIP)",
    "ec2_vpcs": "VPCs, the default VPC of each region included",
    "ec2_subnets": "subnets; the default VPC has one per Availability Zone",
    "ec2_security_groups": "security groups (a default group per VPC)",
    "ec2_security_group_rules": "one row per security group rule (one CIDR or group per row), ingress and egress",
    "ec2_instances": "EC2 instances and their launch settings",
    "ec2_instance_states": "each state an instance entered or will enter (pending, running, stopping…) and when",
    "ec2_monitoring": "when each instance's monitoring became basic or detailed",
    "ec2_network_interfaces": "elastic network interfaces and their attachment",
    "ec2_network_interface_groups": "the security groups of each network interface",
    "ec2_volumes": "EBS volumes (deleted_at set once deleted)",
    "ec2_volume_attachments": "volume attachments (detached_at set once detached)",
    "ec2_addresses": "Elastic IP addresses and their association",
    "ec2_launch_templates": "launch templates (version 1): what RunInstances and Auto Scaling groups launch from",
    "ec2_workloads": "the seeded workload model of each instance, as set over time (drives AWS/EC2 and AWS/EBS)",
    "ec2_scheduled_changes": "resource changes due later on the clock (an instance reaching running), "
                             "published when the clock gets there",
    "ec2_job_progress": "how far the EC2 background jobs have got (metric publishing watermark)",
    "ec2_metric_batch": "scratch: the AWS/EC2 and AWS/EBS datapoints of the batch being published",
}

STATE_AT_SQL = """
SELECT instance_id, state, entered_at
FROM ec2_instance_states
WHERE entered_at <= $at
QUALIFY row_number() OVER (PARTITION BY instance_id ORDER BY entered_at DESC, seq DESC) = 1
"""
"""Each instance's state as of ``$at``: the last state entered at or before it."""
