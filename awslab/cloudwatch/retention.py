"""Metric retention: the roll-up of old datapoints to coarser periods, and their expiry.

| data published at | readable at that resolution for | then |
|---|---|---|
| < 60 s (high resolution) | 3 hours | 1-minute data |
| 60 s | 15 days | 5-minute data |
| 300 s | 63 days | 1-hour data |
| 3600 s | 455 days (15 months) | gone |

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention

The roll-up is SQL over every metric at once: rows older than a threshold are grouped into the
coarser period and replaced by the aggregate rows. SampleCount, Sum, Minimum and Maximum stay
exact. Raw values are kept as a multiset (value, count) so percentiles stay available after
roll-up, as CloudWatch keeps them; values are rounded to three significant digits when rolled
up, which bounds a percentile's error to 0.5% (CloudWatch's own percentiles on aggregated data
are approximate too; it does not publish its sketch, so this rounding is our documented choice).
"""

from __future__ import annotations

from datetime import datetime, timedelta

# (rows whose period is below this, older than this age, become rows of this period)
ROLL_UPS: tuple[tuple[int, timedelta], ...] = (
    (3600, timedelta(days=63)),
    (300, timedelta(days=15)),
    (60, timedelta(hours=3)),
)
EXPIRY = timedelta(days=455)

_KEY = "region, account_id, namespace, metric_name, dimensions, unit, storage_resolution"

_ROLL_UP = f"""
INSERT INTO cloudwatch_rollup_stage BY NAME
SELECT {_KEY},
       to_timestamp(floor(epoch(timestamp) / $period) * $period) AS timestamp,
       $period AS period,
       rounded AS value,
       sum(count) AS count, sum(sample_count) AS sample_count, sum(sum) AS sum,
       min(minimum) AS minimum, max(maximum) AS maximum, max(received_at) AS received_at
FROM (
    SELECT *, CASE WHEN value IS NULL OR value = 0 OR isinf(value) THEN value
                   ELSE round(value, CAST(2 - floor(log10(abs(value))) AS INTEGER)) END AS rounded
    FROM cloudwatch_datapoints
    WHERE period < $period AND timestamp < $cutoff
)
GROUP BY ALL
"""

def roll_up(db, until: datetime) -> int:
    """Bring every metric's storage up to ``until``: expire, then roll up coarsest first.

    Returns how many rows were replaced.
    """
    replaced = db.execute("DELETE FROM cloudwatch_datapoints WHERE timestamp < ?",
                          [until - EXPIRY]).fetchone()[0]
    db.execute("CREATE TEMP TABLE IF NOT EXISTS cloudwatch_rollup_stage AS "
               "SELECT * FROM cloudwatch_datapoints LIMIT 0")
    for period, age in ROLL_UPS:
        params = {"period": period, "cutoff": until - age}
        db.execute("DELETE FROM cloudwatch_rollup_stage")
        db.execute(_ROLL_UP, params)
        removed = db.execute("DELETE FROM cloudwatch_datapoints WHERE period < $period AND timestamp < $cutoff",
                             params).fetchone()[0]
        if removed:
            db.execute("INSERT INTO cloudwatch_datapoints SELECT * FROM cloudwatch_rollup_stage")
        replaced += removed
    return replaced


def next_roll_up(db) -> datetime | None:
    """The earliest lab time at which ``roll_up`` would change anything (None: no data)."""
    row = db.execute("""
        SELECT least(
            min(timestamp) + INTERVAL 455 DAY,
            min(timestamp) FILTER (WHERE period < 3600) + INTERVAL 63 DAY,
            min(timestamp) FILTER (WHERE period < 300) + INTERVAL 15 DAY,
            min(timestamp) FILTER (WHERE period < 60) + INTERVAL 3 HOUR)
        FROM cloudwatch_datapoints""").fetchone()
    return row[0]
