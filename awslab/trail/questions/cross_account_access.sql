-- Calls made into an account by principals of another account (identity account differs from the recipient account).
-- anchor: CloudTrail Lake sample cross-account-access.sql; the recipientAccountId field ("can differ from userIdentity.accountId")
-- plot: bar identity_account_id calls
SELECT identity_account_id, recipient_account_id, actor, identity_type, event_source, event_name, count(*) AS calls,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors, min(event_time) AS first_seen, max(event_time) AS last_seen
FROM cloudtrail_events
WHERE (identity_type = 'AWSAccount'
       OR (identity_account_id IS NOT NULL AND recipient_account_id IS NOT NULL
           AND identity_account_id <> recipient_account_id))
  AND identity_type IS DISTINCT FROM 'AWSService'
GROUP BY ALL
ORDER BY calls DESC, identity_account_id, event_name
