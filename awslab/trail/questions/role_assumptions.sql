-- Who assumed which role (or got federation tokens), how often, and roles assuming themselves.
-- anchor: CloudTrail Lake samples SelfAssumeRole.sql, iam-role-assumed-by-iam-access-key.sql; Stratus sts-federation-token
-- plot: bar role_arn calls
SELECT actor, event_name,
       coalesce(request_parameters->>'roleArn', 'federated-user/' || (request_parameters->>'name')) AS role_arn,
       count(*) AS calls, count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       count(DISTINCT request_parameters->>'roleSessionName') AS session_names,
       bool_or(session_issuer_arn IS NOT NULL AND session_issuer_arn = request_parameters->>'roleArn') AS self_assume,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM cloudtrail_events
WHERE event_source = 'sts.amazonaws.com'
  AND event_name IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetFederationToken')
GROUP BY actor, event_name, role_arn
ORDER BY calls DESC, actor, role_arn
