-- Who used the root user, and for what: every call made with the account's root credentials.
-- anchor: CIS AWS Foundations 3.3 / Security Hub CloudWatch.1 metric filter { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }; Sigma aws_root_account_usage.yml; Panther aws_console_root_login.yml
-- plot: bar event_name calls
SELECT recipient_account_id, event_source, event_name, count(*) AS calls,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       min(event_time) AS first_seen, max(event_time) AS last_seen,
       string_agg(DISTINCT source_ip_address, ', ' ORDER BY source_ip_address) AS source_ips
FROM cloudtrail_events
WHERE identity_type = 'Root'
  AND invoked_by IS NULL
  AND event_type IS DISTINCT FROM 'AwsServiceEvent'
GROUP BY recipient_account_id, event_source, event_name
ORDER BY first_seen, event_name
