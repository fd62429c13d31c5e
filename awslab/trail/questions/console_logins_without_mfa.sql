-- Successful console sign-ins of IAM users and root made without MFA (SAML federation excluded: it always reports MFAUsed "No").
-- anchor: CIS AWS Foundations 3.2 / Security Hub CloudWatch.3 { ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }; Sigma aws_cloudtrail_console_login_success_without_mfa.yml; Lake console-login-with-no-mfa.sql
SELECT event_time, actor, identity_type, recipient_account_id, source_ip_address, user_agent, aws_region,
       additional_event_data->>'MFAUsed' AS mfa_used, additional_event_data->>'LoginTo' AS login_to
FROM cloudtrail_events
WHERE event_name = 'ConsoleLogin'
  AND response_elements->>'ConsoleLogin' = 'Success'
  AND identity_type IN ('IAMUser', 'Root')
  AND mfa_used IS DISTINCT FROM true
  AND additional_event_data->>'SamlProviderArn' IS NULL
ORDER BY event_time, actor
