-- Commands and shells on instances: SSM SendCommand and StartSession, EC2 Instance Connect and serial-console keys.
-- anchor: Stratus ssm-send-command, ssm-start-session, ec2-instance-connect, ec2-serial-console-send-ssh-public-key
-- plot: bar event_name calls
SELECT actor, event_source, event_name, count(*) AS calls, count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       string_agg(DISTINCT coalesce(request_parameters->>'instanceId', request_parameters->>'target',
                                    CAST(request_parameters->'instanceIds' AS VARCHAR)), ', '
                  ORDER BY coalesce(request_parameters->>'instanceId', request_parameters->>'target',
                                    CAST(request_parameters->'instanceIds' AS VARCHAR))) AS targets,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM cloudtrail_events
WHERE (event_source = 'ssm.amazonaws.com' AND event_name IN ('SendCommand', 'StartSession'))
   OR (event_source = 'ec2-instance-connect.amazonaws.com')
   OR (event_source = 'ec2.amazonaws.com' AND event_name = 'EnableSerialConsoleAccess')
GROUP BY actor, event_source, event_name
ORDER BY calls DESC, actor, event_name
