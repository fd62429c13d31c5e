-- Secrets and SecureString parameters read, per principal and time window; many distinct items in one window is flagged as mass retrieval.
-- anchor: Sigma aws_secretsmanager_mass_secret_retrieval.yml (threshold is ours), aws_secretsmanager_batch_get_secret_value.yml; Stratus secretsmanager-retrieve-secrets, secretsmanager-batch-retrieve-secrets, ssm-retrieve-securestring-parameters
-- param: window_minutes INTEGER = 60  length of the fixed time windows
-- param: min_items INTEGER = 5  distinct secrets or parameters (or BatchGetSecretValue calls) in one window that count as mass retrieval
-- plot: bar actor calls
SELECT window_start, actor, event_source, calls, items, batch_calls, errors,
       items >= $min_items OR batch_calls >= $min_items AS mass_retrieval
FROM (
    SELECT time_bucket(to_minutes($window_minutes::INTEGER), event_time) AS window_start, actor, event_source,
           count(*) AS calls,
           count(DISTINCT coalesce(request_parameters->>'secretId', request_parameters->>'name',
                                   CAST(request_parameters->'names' AS VARCHAR),
                                   CAST(request_parameters->'secretIdList' AS VARCHAR))) AS items,
           count(*) FILTER (WHERE event_name = 'BatchGetSecretValue') AS batch_calls,
           count(*) FILTER (WHERE error_code IS NOT NULL) AS errors
    FROM cloudtrail_events
    WHERE (event_source = 'secretsmanager.amazonaws.com' AND event_name IN ('GetSecretValue', 'BatchGetSecretValue'))
       OR (event_source = 'ssm.amazonaws.com' AND event_name IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
           AND request_parameters->>'withDecryption' = 'true')
    GROUP BY ALL
)
ORDER BY mass_retrieval DESC, calls DESC, window_start, actor
