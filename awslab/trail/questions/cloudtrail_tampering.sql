-- Changes to CloudTrail itself: logging stopped, trails deleted or updated, event selectors narrowed, Lake stores changed.
-- anchor: CIS AWS Foundations 3.5 / Security Hub CloudWatch.5 { CreateTrail, UpdateTrail, DeleteTrail, StartLogging, StopLogging }; Sigma aws_cloudtrail_disable_logging.yml; Panther aws_cloudtrail_stopped.yml, aws_cloudtrail_event_selectors_disabled.yml; Stratus cloudtrail-stop, cloudtrail-delete, cloudtrail-event-selectors
-- plot: bar event_name calls
SELECT event_time, actor, event_name,
       CASE
           WHEN event_name = 'StopLogging' THEN 'logging stopped'
           WHEN event_name IN ('DeleteTrail', 'DeleteEventDataStore') THEN 'deleted'
           WHEN event_name IN ('PutEventSelectors', 'PutInsightSelectors') THEN 'selectors changed'
           WHEN event_name = 'StopEventDataStoreIngestion' THEN 'ingestion stopped'
           ELSE 'configuration changed'
       END AS effect,
       coalesce(request_parameters->>'name', request_parameters->>'trailName',
                request_parameters->>'eventDataStore') AS trail,
       error_code IS NULL AS succeeded, error_code, source_ip_address, user_agent, aws_region,
       1 AS calls
FROM cloudtrail_events
WHERE event_source = 'cloudtrail.amazonaws.com'
  AND event_name IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'CreateTrail', 'StartLogging',
                     'PutEventSelectors', 'PutInsightSelectors', 'DeleteEventDataStore',
                     'UpdateEventDataStore', 'StopEventDataStoreIngestion')
ORDER BY event_time, source_file, source_index
