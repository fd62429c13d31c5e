-- Calls by identity type (root, IAM users, assumed roles, services, …) with how many distinct actors each.
-- anchor: the CloudTrail userIdentity element page (its identity types: Root, IAMUser, AssumedRole, AWSService, …)
-- plot: bar identity_type calls
SELECT coalesce(identity_type, '(none)') AS identity_type, count(*) AS calls, count(DISTINCT actor) AS actors,
       min(actor) AS example_actor, count(*) FILTER (WHERE error_code IS NOT NULL) AS errors
FROM cloudtrail_events
GROUP BY identity_type
ORDER BY calls DESC, identity_type
