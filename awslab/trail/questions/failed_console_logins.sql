-- Failed console sign-ins, by user name and source IP.
-- anchor: CIS AWS Foundations 3.6 / Security Hub CloudWatch.6 { ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }; Sigma aws_cloudtrail_console_login_failure.yml; Panther aws_console_login_failed.yml
-- plot: bar user_name failures
SELECT coalesce(identity_user_name, actor, '(unknown)') AS user_name, identity_type, source_ip_address,
       count(*) AS failures, min(event_time) AS first_seen, max(event_time) AS last_seen,
       min(error_message) AS error_message
FROM cloudtrail_events
WHERE event_name = 'ConsoleLogin'
  AND (response_elements->>'ConsoleLogin' = 'Failure' OR error_message = 'Failed authentication')
GROUP BY ALL
ORDER BY failures DESC, user_name, source_ip_address
