-- Denied calls per hour, with the hours that stand out (z-score above the threshold, or at least min_denied).
-- anchor: CloudTrail user guide alarm "authorization failures" (Sum >= 1 per 5 minutes); CIS AWS Foundations 3.1; Panther aws_iam_user_recon_denied.yml
-- param: threshold DOUBLE = 3  how many standard deviations above the hourly mean make a spike
-- param: min_denied INTEGER = 10  denied calls in one hour that always make a spike
-- plot: line hour denied
WITH hours AS (
    SELECT date_trunc('hour', event_time) AS hour, count(*) AS calls,
           count(*) FILTER (WHERE error_code LIKE '%UnauthorizedOperation' OR error_code LIKE 'AccessDenied%') AS denied
    FROM cloudtrail_events
    WHERE event_time IS NOT NULL
    GROUP BY ALL
), scored AS (
    SELECT *, (denied - avg(denied) OVER ()) / nullif(stddev_pop(denied) OVER (), 0) AS z_score FROM hours
)
SELECT hour, calls, denied, round(denied / calls, 3) AS denied_share, round(z_score, 2) AS z_score,
       coalesce(z_score >= $threshold, false) OR denied >= $min_denied AS spike
FROM scored
ORDER BY hour
