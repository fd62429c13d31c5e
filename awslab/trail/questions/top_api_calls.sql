-- The most frequent API calls, grouped by event source and event name.
-- anchor: CloudTrail Lake documentation example "API calls grouped by eventName and eventSource"; Lake top-iam-actions-by-principal.sql
-- param: limit INTEGER = 20  how many calls to list
-- plot: bar event_name calls
SELECT event_source, event_name, count(*) AS calls, count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       count(DISTINCT actor) AS actors, bool_and(read_only) AS read_only
FROM cloudtrail_events
GROUP BY event_source, event_name
ORDER BY calls DESC, event_source, event_name
LIMIT $limit
