-- Changes to IAM policies: inline and managed policies created, changed, attached, detached or deleted, and role trust policies rewritten.
-- anchor: CIS AWS Foundations 3.4 / Security Hub CloudWatch.4 (the 16 event names); Panther aws_iam_policy_modified.yml; Sigma aws_iam_managed_policy_version_abuse.yml (SetDefaultPolicyVersion); Stratus iam-backdoor-role (UpdateAssumeRolePolicy)
SELECT event_time, actor, event_name,
       coalesce(request_parameters->>'roleName', request_parameters->>'userName',
                request_parameters->>'groupName') AS principal,
       coalesce(request_parameters->>'policyArn', request_parameters->>'policyName') AS policy,
       error_code IS NULL AS succeeded, error_code, source_ip_address
FROM cloudtrail_events
WHERE event_source = 'iam.amazonaws.com'
  AND event_name IN ('DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy',
                     'PutRolePolicy', 'PutUserPolicy', 'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion',
                     'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy',
                     'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy', 'SetDefaultPolicyVersion',
                     'UpdateAssumeRolePolicy')
ORDER BY event_time, source_file, source_index
