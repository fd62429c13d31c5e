-- EC2 credential access: Windows password data read, instance user data downloaded, and calls made with instance-profile credentials (sessions named after an instance), by source.
-- anchor: Panther aws_ec2_many_passwors_read_attempts.yml, aws_ec2_download_instance_user_data.yml; Sigma aws_cloudtrail_imds_malicious_usage.yml; Stratus ec2-get-password-data, ec2-download-user-data, ec2-steal-instance-credentials
-- plot: bar kind calls
SELECT kind, actor, source_ip_address, user_agent, count(*) AS calls,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       string_agg(DISTINCT event_name, ', ' ORDER BY event_name) AS actions,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM (
    SELECT *,
        CASE
            WHEN event_source = 'ec2.amazonaws.com' AND event_name = 'GetPasswordData' THEN 'password data'
            WHEN event_source = 'ec2.amazonaws.com' AND event_name = 'DescribeInstanceAttribute'
                 AND request_parameters->>'attribute' = 'userData' THEN 'user data'
            WHEN identity_type = 'AssumedRole' AND regexp_matches(session_name, '^i-[0-9a-fA-F]{8,17}$')
                 THEN 'instance credentials'
        END AS kind
    FROM cloudtrail_events
)
WHERE kind IS NOT NULL
GROUP BY ALL
ORDER BY kind, calls DESC, actor, source_ip_address
