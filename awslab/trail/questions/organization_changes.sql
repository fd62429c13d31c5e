-- AWS Organizations write calls, an account leaving its organization first.
-- anchor: Panther aws_cloudtrail_attempt_to_leave_org.yml; Sigma aws_organizations_management_account_write_action.yml; Stratus organizations-leave
SELECT event_time, actor, event_name, event_name = 'LeaveOrganization' AS leaves_organization,
       error_code IS NULL AS succeeded, error_code, recipient_account_id, source_ip_address
FROM cloudtrail_events
WHERE event_source = 'organizations.amazonaws.com' AND read_only IS DISTINCT FROM true
ORDER BY leaves_organization DESC, event_time
