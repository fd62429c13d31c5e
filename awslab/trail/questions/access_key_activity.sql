-- Everything one access key did, in time order (scoping a leaked key).
-- anchor: CloudTrail Lake samples iam-access-key-activity.sql, s3-actions-by-iam-access-key.sql; the LookupEvents AccessKeyId attribute
-- param: access_key_id VARCHAR  the access key id (AKIA… or ASIA…)
SELECT event_time, actor, identity_type, event_source, event_name, aws_region, source_ip_address, user_agent,
       error_code, read_only, event_id
FROM cloudtrail_events
WHERE access_key_id = $access_key_id
ORDER BY event_time, source_file, source_index
