-- EBS snapshots, AMIs and RDS snapshots shared with other accounts or made public.
-- anchor: Sigma aws_snapshot_backup_exfiltration.yml, aws_rds_snapshot_shared_with_external_account.yml; Panther aws_ami_modified_for_public_access.yml; Stratus ec2-share-ebs-snapshot, ec2-share-ami, rds-share-snapshot
SELECT event_time, actor, event_name, resource, shared_with, public, error_code IS NULL AS succeeded, source_ip_address
FROM (
    SELECT *,
        coalesce(request_parameters->>'snapshotId', request_parameters->>'imageId',
                 request_parameters->>'dBSnapshotIdentifier', request_parameters->>'dBClusterSnapshotIdentifier') AS resource,
        list_concat(
            coalesce(json_extract_string(request_parameters, '$.createVolumePermission.add.items[*].userId'), []),
            coalesce(json_extract_string(request_parameters, '$.launchPermission.add.items[*].userId'), []),
            coalesce(json_extract_string(request_parameters, '$.valuesToAdd[*]'), [])) AS shared_with,
        list_contains(coalesce(json_extract_string(request_parameters, '$.createVolumePermission.add.items[*].group'), []), 'all')
            OR list_contains(coalesce(json_extract_string(request_parameters, '$.launchPermission.add.items[*].group'), []), 'all')
            OR list_contains(coalesce(json_extract_string(request_parameters, '$.valuesToAdd[*]'), []), 'all') AS public
    FROM cloudtrail_events
    WHERE event_name IN ('ModifySnapshotAttribute', 'ModifyImageAttribute', 'ModifyDBSnapshotAttribute',
                         'ModifyDBClusterSnapshotAttribute')
)
WHERE len(shared_with) > 0 OR public
ORDER BY event_time, source_file, source_index
