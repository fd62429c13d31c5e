"""A DuckDB database with the config_items table the recorder fills, and a way to add items."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

CONFIG_ITEMS_DDL = """CREATE TABLE config_items(
    account_id VARCHAR, region VARCHAR, resource_type VARCHAR, resource_id VARCHAR,
    resource_name VARCHAR, arn VARCHAR, availability_zone VARCHAR,
    capture_time TIMESTAMPTZ, resource_creation_time TIMESTAMPTZ, status VARCHAR,
    configuration JSON, supplementary_configuration JSON, tags JSON, relationships JSON,
    related_events JSON, version VARCHAR, state_id BIGINT, item JSON)"""

ACCOUNT = "123456789012"
START = datetime(2026, 1, 1, tzinfo=UTC)


def new_db() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("SET TimeZone='UTC'")
    db.execute(CONFIG_ITEMS_DDL)
    return db


def add_item(
    db: duckdb.DuckDBPyConnection,
    resource_type: str,
    resource_id: str,
    configuration: dict[str, Any] | None = None,
    *,
    tags: dict[str, str] | None = None,
    supplementary: dict[str, Any] | None = None,
    relationships: list[dict[str, Any]] | None = None,
    status: str = "OK",
    state_id: int = 1,
    region: str = "us-east-1",
    account_id: str = ACCOUNT,
    availability_zone: str = "us-east-1a",
    resource_name: str | None = None,
) -> None:
    captured = START + timedelta(minutes=state_id)
    db.execute(
        "INSERT INTO config_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '1.3', ?, NULL)",
        [
            account_id,
            region,
            resource_type,
            resource_id,
            resource_name,
            f"arn:aws:test:{region}:{account_id}:{resource_id}",
            availability_zone,
            captured,
            START - timedelta(days=30),
            status,
            json.dumps(configuration or {}),
            json.dumps(supplementary or {}),
            json.dumps(tags or {}),
            json.dumps(relationships or []),
            state_id,
        ],
    )
