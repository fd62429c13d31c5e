"""Recording: every call the lab answers becomes a row of ``cloudtrail_events``.

The gateway builds the record (awslab.gateway.cloudtrail_record) and publishes it on the hub
as an ``api_call`` fact; this module stores it with the same normalisation that loads real
exported logs (awslab.records), so lab events and real events share one table.
"""

from __future__ import annotations

import json
from typing import Any

from ..records import CREATE_EVENTS_TABLE, EVENTS_TABLE, normalise_sql

PENDING_TABLE = "cloudtrail_pending"

# source_index numbers the lab's records in the order they were made, across flushes.
_FLUSH = f"INSERT INTO {EVENTS_TABLE} " + normalise_sql(
    f"""(SELECT record, 'lab' AS source_file,
                (SELECT coalesce(max(source_index), 0) FROM {EVENTS_TABLE} WHERE source_file = 'lab')
                + row_number() OVER (ORDER BY seq) AS source_index
         FROM {PENDING_TABLE})""")


def create_tables(db) -> None:
    db.execute(CREATE_EVENTS_TABLE)
    db.execute(f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} (seq BIGINT, record JSON)")


_staged = 0  # orders staged records; only its order matters, so a process-wide counter will do


def record_event(db, record: dict[str, Any]) -> None:
    """Stage one CloudTrail record (an API call, a sign-in, a service event).

    Normalising a record costs a fixed ~8 ms of query planning whether it is one record or
    five hundred, so records are staged raw and normalised in batches by :func:`flush`, which
    the lab runs before any read (``lab.sql``, CloudTrail's own reads, every clock advance).
    """
    global _staged
    _staged += 1
    db.execute(f"INSERT INTO {PENDING_TABLE} VALUES (?, ?)",
               [_staged, json.dumps(record, default=str, separators=(",", ":"))])


def flush(db) -> None:
    """Normalise every staged record into ``cloudtrail_events``."""
    if db.execute(f"SELECT count(*) FROM {PENDING_TABLE}").fetchone()[0]:
        db.execute(_FLUSH)
        db.execute(f"DELETE FROM {PENDING_TABLE}")
