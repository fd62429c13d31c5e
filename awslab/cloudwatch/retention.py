"""Metric retention: the roll-up of old datapoints to coarser periods, and their expiry.

| data published at | readable at that resolution for | then |
|---|---|---|
| < 60 s (high resolution) | 3 hours | 1-minute data |
| 60 s | 15 days | 5-minute data |
| 300 s | 63 days | 1-hour data |
| 3600 s | 455 days (15 months) | gone |

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention

The roll-up is SQL over every metric at once: the rows of a period (one minute, five minutes,
an hour) that has grown older than the threshold are replaced by **one row per metric, unit and
period**, stamped with the period's start, so a learner watching ``cloudwatch_datapoints`` sees
the table shrink. SampleCount, Sum, Minimum and Maximum stay exact. CloudWatch keeps
percentiles for aged data, so a rolled-up row keeps its raw values too, as a histogram
(``histogram``: value → count) with values rounded to three significant digits, which bounds a
percentile's error to 0.5% (CloudWatch's own percentiles are approximate too and it does not
publish its sketch, so this rounding is the lab's documented choice). A period holding a
StatisticSet that is not raw keeps no histogram, so its extended statistics stay unavailable.

Only whole periods are rolled up: a row joins its coarser period once the *end* of that period
is older than the threshold. Reads are unaffected by that lag, because the period/age rule
(reading.py) already refuses fine periods for data that old.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# (rows whose period is below this, once their coarser period ended longer ago than this, become one row of it)
ROLL_UPS: tuple[tuple[int, timedelta], ...] = (
    (3600, timedelta(days=63)),
    (300, timedelta(days=15)),
    (60, timedelta(hours=3)),
)
EXPIRY = timedelta(days=455)

_KEY = "region, account_id, namespace, metric_name, dimensions, unit, storage_resolution"

ROLL_UP_SQL = f"""
INSERT INTO cloudwatch_rollup_stage BY NAME
WITH source AS (
    SELECT *, to_timestamp(floor(epoch(timestamp) / $period) * $period) AS bucket
    FROM cloudwatch_datapoints
    WHERE period < $period AND timestamp < $cutoff
),
totals AS (
    SELECT {_KEY}, bucket,
           sum(sample_count) AS sample_count, sum(sum) AS sum, min(minimum) AS minimum, max(maximum) AS maximum,
           max(received_at) AS received_at,
           bool_and(value IS NOT NULL OR histogram IS NOT NULL) AS raw
    FROM source GROUP BY ALL
),
raw_values AS (
    SELECT {_KEY}, bucket, count,
           CASE WHEN value = 0 THEN value
                ELSE round(value, CAST(2 - floor(log10(abs(value))) AS INTEGER)) END AS value
    FROM source WHERE value IS NOT NULL
    UNION ALL
    SELECT {_KEY}, bucket, entry.count AS count, entry.value AS value
    FROM (SELECT {_KEY}, bucket, unnest(histogram) AS entry FROM source WHERE histogram IS NOT NULL)
),
histograms AS (
    SELECT {_KEY}, bucket, list({{'value': value, 'count': count}} ORDER BY value) AS histogram
    FROM (SELECT {_KEY}, bucket, value, sum(count) AS count FROM raw_values GROUP BY ALL)
    GROUP BY ALL
)
SELECT t.* EXCLUDE (bucket, raw), t.bucket AS timestamp, $period AS period, NULL AS value,
       t.sample_count AS count, CASE WHEN t.raw THEN h.histogram END AS histogram
FROM totals t LEFT JOIN histograms h USING ({_KEY}, bucket)
"""


def _cutoff(until: datetime, period: int, age: timedelta) -> datetime:
    """Rows before this instant belong to periods that ended more than ``age`` before ``until``."""
    limit = until - age
    seconds = int(limit.timestamp() // 1)
    return datetime.fromtimestamp(seconds - seconds % period, tz=limit.tzinfo)


def roll_up(db, until: datetime) -> int:
    """Bring every metric's storage up to ``until``: expire, then roll up coarsest first.

    Returns how many rows were removed (expired or folded into coarser rows).
    """
    removed = db.execute("DELETE FROM cloudwatch_datapoints WHERE timestamp <= ?", [until - EXPIRY]).fetchone()[0]
    db.execute("CREATE TEMP TABLE IF NOT EXISTS cloudwatch_rollup_stage AS "
               "SELECT * FROM cloudwatch_datapoints LIMIT 0")
    for period, age in ROLL_UPS:
        params = {"period": period, "cutoff": _cutoff(until, period, age)}
        db.execute("DELETE FROM cloudwatch_rollup_stage")
        db.execute(ROLL_UP_SQL, params)
        folded = db.execute("DELETE FROM cloudwatch_datapoints WHERE period < $period AND timestamp < $cutoff",
                            params).fetchone()[0]
        if folded:
            db.execute("INSERT INTO cloudwatch_datapoints BY NAME SELECT * FROM cloudwatch_rollup_stage")
        removed += folded
    return removed


NEXT_ROLL_UP_SQL = """
SELECT least(
    min(timestamp) + INTERVAL 455 DAY,
    to_timestamp((floor(epoch(min(timestamp) FILTER (WHERE period < 3600)) / 3600) + 1) * 3600) + INTERVAL 63 DAY,
    to_timestamp((floor(epoch(min(timestamp) FILTER (WHERE period < 300)) / 300) + 1) * 300) + INTERVAL 15 DAY,
    to_timestamp((floor(epoch(min(timestamp) FILTER (WHERE period < 60)) / 60) + 1) * 60) + INTERVAL 3 HOUR)
FROM cloudwatch_datapoints
"""


def next_roll_up(db) -> datetime | None:
    """The earliest lab time at which ``roll_up`` would change anything (None: no data)."""
    return db.execute(NEXT_ROLL_UP_SQL).fetchone()[0]
