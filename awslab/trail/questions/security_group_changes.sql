-- Security group rules added or removed and groups created or deleted; rules open to any address (a /0 range) are flagged.
-- anchor: CIS AWS Foundations 3.10 / Security Hub CloudWatch.10; Sigma aws_cloudtrail_security_group_change_ingress_egress.yml; Lake ec2-public-security-group.sql; Stratus ec2-security-group-open-port-22-ingress
SELECT event_time, actor, event_name, request_parameters->>'groupId' AS group_id,
       coalesce(request_parameters->>'fromPort', request_parameters->>'$.ipPermissions.items[0].fromPort') AS from_port,
       coalesce(request_parameters->>'toPort', request_parameters->>'$.ipPermissions.items[0].toPort') AS to_port,
       event_name LIKE 'Authorize%' AND regexp_matches(CAST(request_parameters AS VARCHAR), '/0"') AS open_to_world,
       error_code IS NULL AS succeeded, error_code, source_ip_address, aws_region
FROM cloudtrail_events
WHERE event_source = 'ec2.amazonaws.com'
  AND event_name IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress',
                     'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup',
                     'ModifySecurityGroupRules')
ORDER BY event_time, source_file, source_index
