-- Calls refused for lack of permission: who tried what, how often.
-- anchor: CIS AWS Foundations 3.1 / Security Hub CloudWatch.2 { ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }; Panther aws_iam_user_recon_denied.yml; Lake list-events-with-errors.sql
-- plot: bar actor denied
SELECT actor, identity_type, event_source, event_name, error_code, count(*) AS denied,
       min(event_time) AS first_seen, max(event_time) AS last_seen,
       string_agg(DISTINCT source_ip_address, ', ' ORDER BY source_ip_address) AS source_ips
FROM cloudtrail_events
WHERE error_code LIKE '%UnauthorizedOperation' OR error_code LIKE 'AccessDenied%'
GROUP BY ALL
ORDER BY denied DESC, actor, event_source, event_name
