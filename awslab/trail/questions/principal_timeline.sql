-- One principal's calls in time order: give its actor name, ARN, user name, role name or principal id.
-- anchor: CloudTrail Lake documentation example "find all APIs that a user called" (query-lake-examples); incident-response "who really did it" pivots
-- param: principal VARCHAR  an actor name (as the actor column shows it), an ARN, a user or role name, or a principal id
SELECT event_time, actor, event_source, event_name, aws_region, source_ip_address, user_agent, error_code, read_only,
       access_key_id, event_id
FROM cloudtrail_events
WHERE $principal IN (actor, identity_arn, identity_user_name, session_issuer_name, session_issuer_arn,
                     identity_principal_id)
ORDER BY event_time, source_file, source_index
