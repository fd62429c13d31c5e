-- Source IPs whose failed console sign-ins, within one window, hit many users (spraying) or one user many times (brute force).
-- anchor: Panther aws_cloudtrail_password_spraying.yml and aws_console_login_failed.yml; CloudTrail user guide alarm "console sign-in failures"
-- param: window_minutes INTEGER = 60  length of the fixed time windows the failures are counted in
-- param: min_users INTEGER = 3  distinct user names from one IP in one window that count as spraying
-- param: min_failures INTEGER = 10  failures from one IP in one window that count as brute force
SELECT window_start, source_ip_address, users, failures,
       CASE WHEN users >= $min_users THEN 'spraying' ELSE 'brute force' END AS pattern, user_names
FROM (
    SELECT time_bucket(to_minutes($window_minutes::INTEGER), event_time) AS window_start, source_ip_address,
           count(DISTINCT coalesce(identity_user_name, actor)) AS users, count(*) AS failures,
           string_agg(DISTINCT coalesce(identity_user_name, actor), ', ' ORDER BY coalesce(identity_user_name, actor)) AS user_names
    FROM cloudtrail_events
    WHERE event_name = 'ConsoleLogin'
      AND (response_elements->>'ConsoleLogin' = 'Failure' OR error_message = 'Failed authentication')
    GROUP BY ALL
)
WHERE users >= $min_users OR failures >= $min_failures
ORDER BY window_start, failures DESC, source_ip_address
