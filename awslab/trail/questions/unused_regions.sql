-- Activity per region, rarest first; with allowed_regions, only regions outside that list (calls there, or a region being enabled).
-- anchor: Lake list-all-events-not-in-authorized-region.sql; Sigma aws_cloudtrail_enable_region.yml; Panther aws_cloudtrail_region_enabled.yml
-- param: allowed_regions VARCHAR[] = null  the regions you use; null lists every region
-- plot: bar aws_region calls
SELECT aws_region, count(*) AS calls, round(count(*) / sum(count(*)) OVER (), 4) AS share,
       count(DISTINCT actor) AS actors, string_agg(DISTINCT event_name, ', ' ORDER BY event_name) FILTER (WHERE event_name IN ('EnableRegion', 'DisableRegion')) AS region_opt_in,
       min(event_time) AS first_seen, max(event_time) AS last_seen,
       $allowed_regions::VARCHAR[] IS NOT NULL AND NOT list_contains($allowed_regions::VARCHAR[], aws_region) AS outside_allowed
FROM cloudtrail_events
GROUP BY aws_region
HAVING $allowed_regions::VARCHAR[] IS NULL OR NOT list_contains($allowed_regions::VARCHAR[], aws_region)
ORDER BY calls, aws_region
