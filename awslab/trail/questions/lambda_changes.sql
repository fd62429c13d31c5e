-- Lambda functions created or changed: code, configuration (layers, environment), resource policy.
-- anchor: Stratus lambda-overwrite-code, lambda-layer-extension, lambda-backdoor-function; TrailDiscover entries for UpdateFunctionCode and AddPermission
SELECT event_time, actor, event_name,
       coalesce(request_parameters->>'functionName', request_parameters->>'layerName') AS function_name,
       error_code IS NULL AS succeeded, error_code, source_ip_address, aws_region
FROM cloudtrail_events
WHERE event_source = 'lambda.amazonaws.com'
  AND (event_name LIKE 'UpdateFunctionCode%' OR event_name LIKE 'UpdateFunctionConfiguration%'
       OR event_name LIKE 'AddPermission%' OR event_name LIKE 'CreateFunction%' OR event_name LIKE 'PublishLayerVersion%'
       OR event_name LIKE 'CreateFunctionUrlConfig%')
ORDER BY event_time, source_file, source_index
