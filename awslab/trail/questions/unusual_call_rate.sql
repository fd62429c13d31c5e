-- Minutes in which a write API was called far more often than its average rate over the whole trail (Insights-style).
-- anchor: CloudTrail Insights ApiCallRateInsight (write management calls per minute against a baseline); Panther abnormally_high_event_volume.yml
-- param: factor DOUBLE = 10  how many times the average per-minute rate counts as unusual
-- param: min_calls INTEGER = 5  calls in one minute below which nothing is unusual
-- plot: bar event_name calls
WITH span AS (
    SELECT greatest(datediff('minute', min(event_time), max(event_time)) + 1, 1) AS minutes
    FROM cloudtrail_events WHERE event_time IS NOT NULL
), writes AS (
    SELECT event_source, event_name, date_trunc('minute', event_time) AS minute, count(*) AS calls
    FROM cloudtrail_events
    WHERE read_only = false AND event_time IS NOT NULL
    GROUP BY ALL
), rates AS (
    SELECT *, sum(calls) OVER (PARTITION BY event_source, event_name) / (SELECT minutes FROM span) AS baseline_per_minute
    FROM writes
)
SELECT minute, event_source, event_name, calls, round(baseline_per_minute, 4) AS baseline_per_minute,
       round(calls / baseline_per_minute, 1) AS ratio
FROM rates
WHERE calls >= $min_calls AND calls >= $factor * baseline_per_minute
ORDER BY ratio DESC, minute, event_name
