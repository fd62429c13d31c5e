-- Calls per time bucket: all, writes, errors and denied calls.
-- anchor: the CloudTrail console's Event history timeline; Lake documentation example "API calls grouped by eventName and eventSource" (here by time)
-- param: bucket_minutes INTEGER = 60  the width of a bucket in minutes
-- plot: line bucket calls
SELECT time_bucket(to_minutes($bucket_minutes::INTEGER), event_time) AS bucket, count(*) AS calls,
       count(*) FILTER (WHERE read_only = false) AS writes,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       count(*) FILTER (WHERE error_code LIKE '%UnauthorizedOperation' OR error_code LIKE 'AccessDenied%') AS denied,
       count(DISTINCT actor) AS actors
FROM cloudtrail_events
WHERE event_time IS NOT NULL
GROUP BY bucket
ORDER BY bucket
