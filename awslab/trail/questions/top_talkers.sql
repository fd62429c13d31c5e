-- The principals making the most calls, with how many distinct actions, errors and source IPs.
-- anchor: Lake top-iam-actions-by-principal.sql, top-actions-by-iam-role.sql
-- param: limit INTEGER = 20  how many principals to list
-- plot: bar actor calls
SELECT actor, identity_type, count(*) AS calls, count(DISTINCT event_name) AS actions,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors, count(DISTINCT source_ip_address) AS source_ips,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM cloudtrail_events
GROUP BY actor, identity_type
ORDER BY calls DESC, actor
LIMIT $limit
