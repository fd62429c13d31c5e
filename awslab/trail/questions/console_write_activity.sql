-- Write calls made from the AWS Management Console ("ClickOps"), sign-ins excluded.
-- anchor: CloudTrail Lake sample list-write-events-from-management-console.sql; the sessionCredentialFromConsole field; cloudandthings/terraform-aws-clickops-notifier
-- plot: bar actor calls
SELECT event_time, actor, event_source, event_name, aws_region, error_code, source_ip_address, 1 AS calls
FROM cloudtrail_events
WHERE session_credential_from_console
  AND read_only IS DISTINCT FROM true
  AND event_type IS DISTINCT FROM 'AwsConsoleSignIn'
ORDER BY event_time, source_file, source_index
