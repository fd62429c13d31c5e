-- The error codes returned, per service: what fails, how often, and for how many callers.
-- anchor: CloudTrail Lake sample top-errors.sql (throttling from automation shows here too)
-- plot: bar error_code errors
SELECT event_source, error_code, count(*) AS errors, count(DISTINCT actor) AS actors,
       count(DISTINCT event_name) AS actions, min(error_message) AS example_message
FROM cloudtrail_events
WHERE error_code IS NOT NULL
GROUP BY ALL
ORDER BY errors DESC, event_source, error_code
