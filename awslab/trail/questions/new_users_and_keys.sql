-- New IAM users, access keys and console passwords (login profiles): the usual persistence moves.
-- anchor: Sigma aws_iam_backdoor_users_keys.yml; Panther aws_iam_user_key_created.yml, aws_cloudtrail_loginprofilecreatedormodified.yml; Stratus iam-create-admin-user, iam-backdoor-user, iam-create-user-login-profile
SELECT event_time, actor, event_name,
       coalesce(request_parameters->>'userName', identity_user_name) AS user_name,
       response_elements->>'$.accessKey.accessKeyId' AS new_access_key_id,
       coalesce(request_parameters->>'userName', identity_user_name) IS DISTINCT FROM identity_user_name AS for_another_user,
       error_code IS NULL AS succeeded, error_code, source_ip_address
FROM cloudtrail_events
WHERE event_source = 'iam.amazonaws.com'
  AND event_name IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile')
ORDER BY event_time, source_file, source_index
