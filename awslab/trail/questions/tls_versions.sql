-- TLS versions clients used, with the user agents behind the old ones (below TLS 1.2 is flagged).
-- anchor: CloudTrail Lake samples tls-version.sql, tls-unsupported-version.sql (on tlsDetails.tlsVersion)
-- plot: bar tls_version calls
SELECT coalesce(tls_version, '(none)') AS tls_version, count(*) AS calls, count(DISTINCT actor) AS actors,
       count(DISTINCT user_agent) AS user_agents,
       tls_version IN ('TLSv1', 'TLSv1.0', 'TLSv1.1') AS outdated,
       min(user_agent) AS example_user_agent
FROM cloudtrail_events
GROUP BY tls_version
ORDER BY calls DESC, tls_version
