-- KMS keys disabled or scheduled for deletion.
-- anchor: CIS AWS Foundations 3.7 / Security Hub CloudWatch.7 { ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }
SELECT event_time, actor, event_name, request_parameters->>'keyId' AS key_id,
       request_parameters->>'pendingWindowInDays' AS pending_window_days,
       error_code IS NULL AS succeeded, error_code, source_ip_address, aws_region
FROM cloudtrail_events
WHERE event_source = 'kms.amazonaws.com' AND event_name IN ('DisableKey', 'ScheduleKeyDeletion')
ORDER BY event_time
