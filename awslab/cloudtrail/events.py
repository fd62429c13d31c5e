"""Recording: every call the lab answers becomes a row of ``cloudtrail_events``.

The gateway builds the record (awslab.gateway.cloudtrail_record) and publishes it on the hub
as an ``api_call`` fact; this module stores it with the same normalisation that loads real
exported logs (awslab.records), so lab events and real events share one table.
"""

from __future__ import annotations

import json
from typing import Any

from ..records import CREATE_EVENTS_TABLE, EVENTS_TABLE, normalise_sql

_INSERT = f"INSERT INTO {EVENTS_TABLE} " + normalise_sql(
    "(SELECT ?::JSON AS record, 'lab' AS source_file, CAST(NULL AS BIGINT) AS source_index)")


def create_tables(db) -> None:
    db.execute(CREATE_EVENTS_TABLE)


def record_event(db, record: dict[str, Any]) -> None:
    """Store one CloudTrail record (an API call, a sign-in, a service event)."""
    db.execute(_INSERT, [json.dumps(record, default=str, separators=(",", ":"))])
