-- AWS/EC2 and AWS/EBS datapoints for the sample minutes [$wm, $hi), written to ec2_metric_batch.
--
-- Sources (CloudWatch User Guide, ec2-metricscollected; EC2 User Guide, viewing_metrics_with_cloudwatch
-- and using_cloudwatch_ebs):
-- * the hypervisor samples every metric once a minute while the instance is running;
-- * detailed monitoring publishes each sample as a one-minute datapoint;
-- * basic monitoring, Xen: the five samples of a five-minute interval are published at its end as one
--   datapoint stamped with the interval's start, SampleCount 1 and Sum = Minimum = Maximum = Average;
-- * basic monitoring, Nitro: each sample is published as it is taken, stamped with the interval's
--   start, so the interval's datapoint grows to SampleCount 5 (a rolling statistic set);
-- * NetworkPacketsIn/Out exist at basic (five-minute) resolution only; status checks every minute,
--   once the instance has initialised;
-- * ImageId and InstanceType aggregates come from detailed-monitoring instances, AutoScalingGroupName
--   from every instance of a group;
-- * AWS/EBS: five-minute datapoints (one-minute for io1/io2), only while attached to a running
--   instance; on Xen VolumeReadBytes/VolumeWriteBytes are statistic sets whose SampleCount is the
--   number of operations, on Nitro plain values.
-- Sums and averages are rounded so that the order DuckDB's threads add in never shows.
-- Minutes before $wm are recomputed (the model is a pure function of instance, seed and minute) only
-- to complete five-minute intervals that end after $wm.

INSERT INTO ec2_metric_batch
WITH transitions AS (
    SELECT instance_id, state, entered_at,
           lead(entered_at) OVER (PARTITION BY instance_id ORDER BY entered_at, seq) AS left_at
    FROM ec2_instance_states
),
running AS (
    SELECT instance_id, entered_at AS running_since,
           greatest(date_trunc('minute', entered_at - INTERVAL 1 MICROSECOND) + INTERVAL 1 MINUTE, $lo) AS s,
           least(coalesce(left_at, $hi), $hi) AS e
    FROM transitions
    WHERE state = 'running' AND entered_at < $hi AND coalesce(left_at, $hi) > $lo
),
minutes AS (
    SELECT instance_id, running_since,
           unnest(generate_series(s, e - INTERVAL 1 MICROSECOND, INTERVAL 1 MINUTE)) AS minute
    FROM running WHERE s < e
),
groups AS (
    SELECT resource_id AS instance_id, any_value(value) AS asg
    FROM ec2_tags WHERE key = 'aws:autoscaling:groupName' GROUP BY ALL
),
samples AS (
    SELECT m.instance_id, m.minute, m.running_since, i.region, i.account_id, i.image_id, i.instance_type,
           i.hypervisor, i.instance_store, i.network_scale, g.asg, mon.detailed,
           w.profile, w.base, w.amplitude, w.seed, w.incident_kind,
           epoch(m.minute)::BIGINT AS t,
           coalesce(m.minute >= w.incident_at AND m.minute < w.incident_at + to_minutes(w.incident_minutes),
                    FALSE) AS in_incident
    FROM minutes m
    JOIN ec2_instances i USING (instance_id)
    LEFT JOIN groups g USING (instance_id)
    ASOF JOIN ec2_workloads w ON m.instance_id = w.instance_id AND m.minute >= w.effective_from
    ASOF JOIN ec2_monitoring mon ON m.instance_id = mon.instance_id AND m.minute >= mon.effective_from
),
modelled AS (
    SELECT *,
           in_incident AND incident_kind IN ('instance', 'system') AS unreachable,
           least(100.0, greatest(0.0, CASE
               WHEN in_incident AND incident_kind = 'cpu' THEN 95 + 5 * ec2_noise(seed, 'incident', t)
               WHEN in_incident THEN 0.5 * ec2_noise(seed, 'idle', t)
               WHEN profile = 'spiky' THEN base + 4 * (ec2_noise(seed, 'cpu', t) - 0.5)
                    + CASE WHEN ec2_noise(seed, 'spike', t // 300) < 0.12
                           THEN amplitude * (0.6 + 0.4 * ec2_noise(seed, 'height', t // 300)) ELSE 0 END
               WHEN profile = 'daily' THEN base + 4 * (ec2_noise(seed, 'cpu', t) - 0.5)
                    + amplitude * (0.5 + 0.5 * cos(2 * pi() * ((t % 86400) / 3600.0 - 14) / 24))
               ELSE base + amplitude * 2 * (ec2_noise(seed, 'cpu', t) - 0.5)
           END)) AS cpu
    FROM samples
),
measured AS (
    SELECT *,
           CASE WHEN unreachable THEN 0 ELSE round(network_scale * (0.15 + 0.85 * cpu / 100)
                * (0.8 + 0.4 * ec2_noise(seed, 'in', t))) END AS net_in,
           CASE WHEN unreachable THEN 0 ELSE round(0.6 * network_scale * (0.15 + 0.85 * cpu / 100)
                * (0.8 + 0.4 * ec2_noise(seed, 'out', t))) END AS net_out,
           CASE WHEN instance_store AND NOT unreachable
                THEN round(60 * (5 + 60 * cpu / 100) * (0.7 + 0.6 * ec2_noise(seed, 'dr', t))) ELSE 0 END AS disk_r,
           CASE WHEN instance_store AND NOT unreachable
                THEN round(60 * (8 + 40 * cpu / 100) * (0.7 + 0.6 * ec2_noise(seed, 'dw', t))) ELSE 0 END AS disk_w
    FROM modelled
),
metric_samples AS (
    SELECT instance_id, minute, running_since, region, account_id, image_id, instance_type, hypervisor, asg,
           detailed,
           unnest(['CPUUtilization', 'NetworkIn', 'NetworkOut', 'DiskReadOps', 'DiskWriteOps', 'DiskReadBytes',
                   'DiskWriteBytes', 'NetworkPacketsIn', 'NetworkPacketsOut', 'StatusCheckFailed',
                   'StatusCheckFailed_Instance', 'StatusCheckFailed_System']) AS metric_name,
           unnest([cpu, net_in, net_out, disk_r, disk_w, disk_r * 16384, disk_w * 16384, round(net_in / 900),
                   round(net_out / 600), (in_incident AND incident_kind IN ('instance', 'system'))::INTEGER,
                   (in_incident AND incident_kind = 'instance')::INTEGER,
                   (in_incident AND incident_kind = 'system')::INTEGER]) AS value,
           unnest(['Percent', 'Bytes', 'Bytes', 'Count', 'Count', 'Bytes', 'Bytes', 'Count', 'Count', 'Count',
                   'Count', 'Count']) AS unit,
           unnest(['usage', 'usage', 'usage', 'usage', 'usage', 'usage', 'usage', 'packets', 'packets', 'status',
                   'status', 'status']) AS kind
    FROM measured
),
instance_points AS (
    -- one-minute datapoints: detailed monitoring, and status checks
    SELECT instance_id, region, account_id, image_id, instance_type, asg, detailed, metric_name, unit,
           minute AS timestamp, value, 1.0 AS sample_count, value AS sum, value AS minimum, value AS maximum,
           minute + INTERVAL 1 MINUTE AS received_at
    FROM metric_samples
    WHERE minute >= $wm
      AND ((kind = 'usage' AND detailed) OR (kind = 'status' AND minute >= running_since + $status_after))
    UNION ALL
    -- basic monitoring on Nitro: each sample joins its five-minute datapoint as it is taken
    SELECT instance_id, region, account_id, image_id, instance_type, asg, detailed, metric_name, unit,
           time_bucket(INTERVAL 5 MINUTE, minute), value, 1.0, value, value, value, minute + INTERVAL 1 MINUTE
    FROM metric_samples
    WHERE minute >= $wm AND hypervisor = 'nitro' AND (kind = 'packets' OR (kind = 'usage' AND NOT detailed))
    UNION ALL
    -- basic monitoring on Xen: one datapoint at the end of each five-minute interval
    SELECT instance_id, region, account_id, image_id, instance_type, asg, bool_or(detailed), metric_name, unit,
           time_bucket(INTERVAL 5 MINUTE, minute) AS bucket, round(avg(value), 9), 1.0, round(avg(value), 9),
           round(avg(value), 9), round(avg(value), 9),
           time_bucket(INTERVAL 5 MINUTE, minute) + INTERVAL 5 MINUTE
    FROM metric_samples
    WHERE hypervisor = 'xen' AND (kind = 'packets' OR (kind = 'usage' AND NOT detailed))
    GROUP BY instance_id, region, account_id, image_id, instance_type, asg, metric_name, unit, bucket
    HAVING bucket + INTERVAL 5 MINUTE > $wm AND bucket + INTERVAL 5 MINUTE <= $hi
),
ebs_minutes AS (
    SELECT a.volume_id, v.volume_type, s.region, s.account_id, s.hypervisor, s.minute, s.t,
           CASE WHEN s.unreachable THEN 0 ELSE round(60 * (2 + 30 * s.cpu / 100)
                * (0.7 + 0.6 * ec2_noise(a.volume_id, 'r', s.t))) END AS read_ops,
           CASE WHEN s.unreachable THEN 0 ELSE round(60 * (3 + 20 * s.cpu / 100)
                * (0.7 + 0.6 * ec2_noise(a.volume_id, 'w', s.t))) END AS write_ops,
           CASE WHEN v.volume_type IN ('io1', 'io2') THEN INTERVAL 1 MINUTE ELSE INTERVAL 5 MINUTE END AS period
    FROM measured s
    JOIN ec2_volume_attachments a ON a.instance_id = s.instance_id AND a.attach_time <= s.minute
         AND (a.detached_at IS NULL OR a.detached_at > s.minute)
    JOIN ec2_volumes v USING (volume_id)
),
ebs_intervals AS (
    SELECT volume_id, region, account_id, any_value(hypervisor) AS hypervisor, period,
           time_bucket(period, minute) AS bucket,
           sum(read_ops) AS read_ops, sum(write_ops) AS write_ops,
           sum(read_ops * (8192 + 16384 * ec2_noise(volume_id, 'rb', t))) AS read_bytes,
           sum(write_ops * (4096 + 12288 * ec2_noise(volume_id, 'wb', t))) AS write_bytes,
           round(avg((read_ops + write_ops) / 60.0 * 0.002 * (0.5 + ec2_noise(volume_id, 'q', t))), 6) AS queue_length,
           round(sum(greatest(0.0, 60 - (read_ops + write_ops) / 60.0 * 0.9)), 3) AS idle_seconds
    FROM ebs_minutes
    GROUP BY volume_id, region, account_id, period, bucket
    HAVING bucket + period > $wm AND bucket + period <= $hi
),
ebs_points AS (
    SELECT volume_id, region, account_id, bucket, bucket + period AS received_at, hypervisor,
           unnest(['VolumeReadOps', 'VolumeWriteOps', 'VolumeReadBytes', 'VolumeWriteBytes', 'VolumeQueueLength',
                   'VolumeIdleTime']) AS metric_name,
           unnest([read_ops, write_ops, round(read_bytes), round(write_bytes), queue_length, idle_seconds]) AS value,
           unnest([1, 1, read_ops, write_ops, 1, 1]) AS ops,
           unnest(['Count', 'Count', 'Bytes', 'Bytes', 'Count', 'Seconds']) AS unit
    FROM ebs_intervals
),
dimensioned AS (
    SELECT region, account_id, 'AWS/EC2' AS namespace, metric_name, 'InstanceId' AS dim, instance_id AS dim_value,
           timestamp, unit, value, sample_count, sum, minimum, maximum, received_at
    FROM instance_points
    UNION ALL
    SELECT region, account_id, 'AWS/EC2', metric_name, 'AutoScalingGroupName', asg, timestamp, unit, value,
           sample_count, sum, minimum, maximum, received_at
    FROM instance_points WHERE asg IS NOT NULL
    UNION ALL
    SELECT region, account_id, 'AWS/EC2', metric_name, unnest(['ImageId', 'InstanceType']),
           unnest([image_id, instance_type]), timestamp, unit, value, sample_count, sum, minimum, maximum,
           received_at
    FROM instance_points WHERE detailed
    UNION ALL
    SELECT region, account_id, 'AWS/EBS', metric_name, 'VolumeId', volume_id, bucket, unit,
           CASE WHEN xen_set THEN NULL ELSE value END,
           CASE WHEN xen_set THEN ops ELSE 1 END, value,
           CASE WHEN xen_set THEN value / ops ELSE value END, CASE WHEN xen_set THEN value / ops ELSE value END,
           received_at
    FROM (SELECT *, hypervisor = 'xen' AND metric_name IN ('VolumeReadBytes', 'VolumeWriteBytes') AS xen_set
          FROM ebs_points)
    WHERE NOT xen_set OR ops > 0
)
SELECT region, account_id, namespace, metric_name,
       '[{"Name":"' || dim || '","Value":' || to_json(dim_value)::VARCHAR || '}]' AS dimensions,
       timestamp, unit, 60 AS storage_resolution, value, sample_count AS count, sample_count, sum, minimum,
       maximum, received_at
FROM dimensioned
