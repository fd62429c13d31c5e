-- Security tooling switched off or reconfigured: GuardDuty, AWS Config, VPC flow logs, DNS query logs, Security Hub, Access Analyzer, Macie, log groups.
-- anchor: Sigma aws_guardduty_disruption.yml, aws_config_disable_recording.yml, aws_cloudtrail_delete_flow_logs.yml; CIS AWS Foundations 3.9 / Security Hub CloudWatch.9 (Config changes); Panther aws_dns_logs_deleted.yml; Stratus vpc-remove-flow-logs, dns-delete-logs
-- plot: bar tool changes
SELECT tool, event_name, count(*) AS changes, count(*) FILTER (WHERE error_code IS NULL) AS succeeded,
       string_agg(DISTINCT actor, ', ' ORDER BY actor) AS actors,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM (
    SELECT *,
        CASE
            WHEN event_source = 'guardduty.amazonaws.com' AND (event_name IN ('DeleteDetector', 'DisassociateFromMasterAccount',
                 'DisassociateFromAdministratorAccount', 'DeleteMembers', 'DisassociateMembers', 'StopMonitoringMembers',
                 'DeletePublishingDestination', 'CreateFilter', 'UpdateFilter')
                 OR (event_name = 'UpdateDetector' AND request_parameters->>'enable' = 'false')) THEN 'GuardDuty'
            WHEN event_source = 'config.amazonaws.com' AND event_name IN ('StopConfigurationRecorder',
                 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel', 'PutDeliveryChannel', 'PutConfigurationRecorder',
                 'DeleteConfigRule') THEN 'AWS Config'
            WHEN event_source = 'ec2.amazonaws.com' AND event_name = 'DeleteFlowLogs' THEN 'VPC flow logs'
            WHEN event_source = 'route53resolver.amazonaws.com' AND event_name IN ('DeleteResolverQueryLogConfig',
                 'DisassociateResolverQueryLogConfig') THEN 'DNS query logs'
            WHEN event_source = 'securityhub.amazonaws.com' AND event_name IN ('DisableSecurityHub',
                 'BatchDisableStandards', 'DisableImportFindingsForProduct') THEN 'Security Hub'
            WHEN event_source = 'access-analyzer.amazonaws.com' AND event_name = 'DeleteAnalyzer' THEN 'Access Analyzer'
            WHEN event_source = 'macie2.amazonaws.com' AND event_name IN ('DisableMacie', 'UpdateMacieSession') THEN 'Macie'
            WHEN event_source = 'logs.amazonaws.com' AND event_name IN ('DeleteLogGroup', 'DeleteLogStream',
                 'PutRetentionPolicy') THEN 'CloudWatch Logs'
        END AS tool
    FROM cloudtrail_events
)
WHERE tool IS NOT NULL
GROUP BY tool, event_name
ORDER BY tool, event_name
