-- Everything one source IP address did, in time order (an incident-response pivot).
-- anchor: CloudTrail Lake sample activity-performed-by-IP-address.sql
-- param: ip VARCHAR  the source IP address (as sourceIPAddress shows it)
SELECT event_time, actor, identity_type, access_key_id, event_source, event_name, aws_region, user_agent,
       error_code, read_only, event_id
FROM cloudtrail_events
WHERE source_ip_address = $ip
ORDER BY event_time, source_file, source_index
