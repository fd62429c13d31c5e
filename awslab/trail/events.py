"""``Events``: a DuckDB connection holding ``cloudtrail_events``, with the question catalogue on top.

``trail.load(...)`` returns one; ``trail.open(path)`` reopens a saved one; ``Events(connection)``
wraps any connection that has the table, the lab's own included.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

import duckdb

from ..records import EVENTS_TABLE
from .loader import (DEFAULT_CHUNK_BYTES, DEFAULT_MAXIMUM_OBJECT_SIZE, LOAD_ERRORS_TABLE, LOAD_FILES_TABLE,
                   Loader, LoadSummary, _names, _run, discover, instant)
from .questions import Question, catalogue, prepare

DEFAULT_FILE_MEMORY_LIMIT = "2GB"
"""Memory DuckDB may use while loading into a database file (``load(db=path)``)."""

_SUMMARY_KEYS = ("files_read", "records_loaded", "records_rejected", "files_failed", "files_skipped",
                 "files_pruned")


class Events:
    """CloudTrail events in DuckDB, and the questions analysts ask of them.

    >>> events = Events(duckdb.connect())          # any connection; the table is created if missing
    >>> events.ask("root_usage").df()              # doctest: +SKIP
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, summary: LoadSummary | None = None,
                 refresh: Callable[[], None] | None = None) -> None:
        """``refresh`` runs before every read: the lab passes the function that normalises the
        CloudTrail records it has staged, so questions see every call made so far."""
        self.con = con
        self._refresh = refresh
        _run(con, "SET TimeZone = 'UTC'")
        if not self._has(EVENTS_TABLE):
            from ..records import CREATE_EVENTS_TABLE
            _run(con, CREATE_EVENTS_TABLE)
        self._summary = summary

    # -- what is loaded --

    @property
    def summary(self) -> LoadSummary:
        """Files read, records loaded, records rejected (and more) for what this holds.

        After ``load`` it is that load's summary; otherwise it is counted from the tables."""
        if self._summary is not None:
            return self._summary
        summary = LoadSummary(records_loaded=len(self))
        if self._has(LOAD_FILES_TABLE):
            row = self.con.execute(
                f"SELECT count(*) FILTER (WHERE status IN ('loaded', 'partial')), "
                f"count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'skipped'), "
                f"count(*) FILTER (WHERE status = 'pruned'), coalesce(sum(rejected), 0) FROM {LOAD_FILES_TABLE}"
            ).fetchall()[0]
            (summary.files_read, summary.files_failed, summary.files_skipped, summary.files_pruned,
             summary.records_rejected) = (int(v) for v in row)
        return summary

    def __len__(self) -> int:
        self._fresh()
        return int(self.con.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchall()[0][0])

    def __repr__(self) -> str:
        return f"<Events: {self.summary}>"

    @property
    def load_errors(self) -> duckdb.DuckDBPyRelation:
        """Every problem the loader met: file, position, reason, value."""
        if not self._has(LOAD_ERRORS_TABLE):
            return self.con.sql("SELECT NULL::VARCHAR AS file, NULL::VARCHAR AS position, "
                                "NULL::VARCHAR AS reason, NULL::VARCHAR AS value WHERE false")
        return self.con.sql(f"SELECT * FROM {LOAD_ERRORS_TABLE} ORDER BY file, position")

    @property
    def files(self) -> duckdb.DuckDBPyRelation:
        """One row per file the loader saw, with what it did with it."""
        return self.con.sql(f"SELECT * FROM {LOAD_FILES_TABLE} ORDER BY file")

    def df(self) -> Any:
        """All events as a pandas DataFrame, in time order."""
        return self.con.sql(f"SELECT * FROM {EVENTS_TABLE} ORDER BY event_time, source_file, source_index").df()

    # -- asking --

    def sql(self, query: str, **params: Any) -> duckdb.DuckDBPyRelation:
        """Run any SQL over the loaded tables; ``$name`` placeholders are bound from ``params``."""
        self._fresh()
        return self.con.sql(query, params=params or None)

    def questions(self) -> list[Question]:
        """The catalogue: every named question, with its purpose, parameters and anchor."""
        return list(catalogue().values())

    def sql_for(self, name: str) -> str:
        """The SQL a question runs (parameters appear as ``$name``)."""
        return _question(name).sql

    def ask(self, name: str, **params: Any) -> duckdb.DuckDBPyRelation:
        """Run the named question and return its result as a DuckDB relation.

        Every question also takes ``start`` and ``end`` (times; ``start <= event_time < end``)
        to look at part of the trail only."""
        query, bound = prepare(_question(name), params)
        self._fresh()
        return self.con.sql(query, params=bound or None)

    # -- keeping --

    def save(self, path: str | os.PathLike) -> Path:
        """Write the events to ``.parquet`` (one file; the summary goes into its metadata) or to a
        ``.duckdb`` database (with ``load_errors`` and ``load_files``). ``trail.open`` reads either."""
        target = Path(path)
        if target.suffix == ".parquet":
            summary = self.summary
            metadata = ", ".join(f"{key}: '{int(getattr(summary, key))}'" for key in _SUMMARY_KEYS)
            _run(self.con, f"COPY (SELECT * FROM {EVENTS_TABLE}) TO '{_quoted(target)}' "
                             f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{metadata}}})")
        elif target.suffix in (".duckdb", ".db"):
            if target.exists():
                target.unlink()
            _run(self.con, f"ATTACH '{_quoted(target)}' AS _trail_saved")
            try:
                for table in (EVENTS_TABLE, LOAD_ERRORS_TABLE, LOAD_FILES_TABLE):
                    if self._has(table):
                        _run(self.con, f"CREATE TABLE _trail_saved.{table} AS SELECT * FROM {table}")
            finally:
                _run(self.con, "DETACH _trail_saved")
        else:
            raise ValueError(f"save to a .parquet or .duckdb file, not {target.name!r}")
        return target

    def report(self, out: str | os.PathLike, **options: Any) -> Path:
        """Write the HTML report (awslab.trail.report) for these events."""
        from .report import write_report
        return write_report(self, out, **options)

    def close(self) -> None:
        self.con.close()

    def _fresh(self) -> None:
        if self._refresh is not None:
            self._refresh()

    def _has(self, table: str) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[0][0])


def _question(name: str) -> Question:
    questions = catalogue()
    if name not in questions:
        raise KeyError(f"no question named {name!r}; the catalogue has: {', '.join(sorted(questions))}")
    return questions[name]


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def load(*paths: str | os.PathLike, start: Any = None, end: Any = None,
         accounts: str | Iterable[str] | None = None, regions: str | Iterable[str] | None = None,
         db: str | os.PathLike | duckdb.DuckDBPyConnection | None = None, progress: bool = False,
         delivery_slack: timedelta = timedelta(hours=1), chunk_bytes: int = DEFAULT_CHUNK_BYTES,
         maximum_object_size: int = DEFAULT_MAXIMUM_OBJECT_SIZE, memory_limit: str | None = None) -> Events:
    """Load exported CloudTrail logs into DuckDB and return them as :class:`Events`.

    ``paths`` are files, folders (walked) or globs, in any mix of: a trail's S3 delivery tree
    (``AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz``), loose ``.json`` and
    ``.json.gz`` log files, JSON Lines of records, LookupEvents output, the console's event
    history JSON export and CloudTrail Lake query results. Digest files and other objects are
    skipped. ``start``/``end`` (``start <= eventTime < end``), ``accounts`` and ``regions`` prune
    files by their S3 key before reading, then filter records. ``db`` is a DuckDB file (created or
    appended to; files already loaded into it are skipped), an open connection, or None (memory).
    Loading into a file uses at most about ``memory_limit`` (default 2 GB) whatever the trail's
    size; in memory, the table itself is in memory.
    """
    keys = discover(paths)  # a wrong path fails here, before any database is created
    own_file = db is not None and not isinstance(db, duckdb.DuckDBPyConnection)
    if isinstance(db, duckdb.DuckDBPyConnection):
        con = db
    else:
        con = duckdb.connect(os.fspath(db) if db is not None else ":memory:")
        _run(con, "SET enable_progress_bar = false")  # ours is the one to show, when asked
    _run(con, "SET TimeZone = 'UTC'")
    # Loading into a file, DuckDB would otherwise keep every block it wrote cached in memory, so
    # memory would grow with the trail; a limit makes it drop them (they are on disk) instead.
    limit = memory_limit or (DEFAULT_FILE_MEMORY_LIMIT if own_file else None)
    if limit:
        _run(con, "SET memory_limit = $limit", {"limit": limit})
    loader = Loader(con, start=instant(start), end=instant(end), accounts=_names(accounts),
                    regions=_names(regions), delivery_slack=delivery_slack, chunk_bytes=chunk_bytes,
                    maximum_object_size=maximum_object_size, progress=progress)
    summary = loader.run(keys)
    if limit and not memory_limit:
        _run(con, "RESET memory_limit")  # the limit was for the load; queries get DuckDB's default
    return Events(con, summary=summary)


def open(path: str | os.PathLike, *, read_only: bool = False) -> Events:  # noqa: A001 - trail.open
    """Reopen events saved with :meth:`Events.save` (a ``.parquet`` or ``.duckdb`` file)."""
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"no such file: {os.fspath(source)!r}")
    if source.suffix == ".parquet":
        con = duckdb.connect()
        _run(con, f"CREATE VIEW {EVENTS_TABLE} AS SELECT * FROM read_parquet('{_quoted(source)}')")
        metadata = dict(con.execute("SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)",
                                    [os.fspath(source)]).fetchall())
        summary = None
        if all(key in metadata for key in _SUMMARY_KEYS):
            summary = LoadSummary(**{key: int(metadata[key]) for key in _SUMMARY_KEYS})
        return Events(con, summary=summary)
    return Events(duckdb.connect(os.fspath(source), read_only=read_only))
