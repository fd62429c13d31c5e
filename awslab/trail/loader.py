"""Load exported CloudTrail logs into ``cloudtrail_events``: fast, mixed formats, forgiving.

The path of every file is read first (awslab.trail.keys): digests and other objects are skipped
and files outside the time, account and region filters are pruned before a byte is parsed. The
rest is read in chunks of about 32 MB on disk, all parsing done by DuckDB's JSON reader:

* **Log files** (named as CloudTrail names them: the bulk of any trail) are streamed: one
  statement per chunk reads them with ``read_json_objects``, unnests each ``Records`` array with
  its positions and normalises it into the table, in parallel file by file, just as a bare
  DuckDB query would. A cheap count per file then checks what went in: items that were not
  objects move to ``load_errors``; a file that yielded nothing is looked at the careful way.
* **Everything else** (exports, JSON Lines, LookupEvents output, Lake results, and any chunk
  whose streaming failed) goes the careful way: each top-level JSON value of each file becomes a
  row of ``_trail_values`` with its shape and items (awslab.trail.shapes), LookupEvents envelopes
  are unwrapped (``CloudTrailEvent`` is the record as a JSON *string*), Lake rows renamed to
  record fields, records normalised, and items that are not records rejected, with their
  position, to ``load_errors``; one transaction per chunk.

When a chunk fails (a truncated .gz, a file that is not JSON, an object larger than the reader's
buffer), the bad file is found from DuckDB's message (or by halving the chunk), the good files are
loaded again, and the bad one is dealt with alone: read with a larger buffer, read as plain text
when a ``.gz`` name lies, or salvaged (JSON Lines line by line; the complete records before the
damage of a cut-short ``{"Records": [...]}``, awslab.trail.salvage), so that nothing that could be
read is lost and every problem is a row of ``load_errors``.

Formats: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html,
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-download-cloudtrail-lake-query-results.html
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from glob import glob
from typing import Any, Iterable, Iterator

import duckdb

from ..records import CREATE_EVENTS_TABLE, EVENTS_TABLE, normalise_sql
from .keys import FileKey, keep, parse_key
from .progress import Progress
from .salvage import complete_records, read_tolerantly, uncompressed_size
from .shapes import NOT_AN_OBJECT, READ_FILES, READ_LINES, STATS, STREAM_RECORDS, lake_macros, sources

LOAD_ERRORS_TABLE = "load_errors"
LOAD_FILES_TABLE = "load_files"

LOAD_ERRORS_COLUMNS: list[tuple[str, str, str]] = [
    ("file", "VARCHAR", "the file the problem is in"),
    ("position", "VARCHAR", "where: 'record N' (0-based, in file order), 'line N', 'byte N' of the "
                            "uncompressed text, 'value N, byte M' as DuckDB reports it, or 'file'"),
    ("reason", "VARCHAR", "what is wrong"),
    ("value", "VARCHAR", "the rejected value, cut to 1,000 characters (null for whole-file problems)"),
]
LOAD_FILES_COLUMNS: list[tuple[str, str, str]] = [
    ("file", "VARCHAR", "the path as given or found"),
    ("kind", "VARCHAR", "from the path: log, json, lake_csv, digest, lake_sign or other"),
    ("account", "VARCHAR", "the account in the S3 key, if any"),
    ("region", "VARCHAR", "the region in the S3 key, if any"),
    ("delivered", "TIMESTAMPTZ", "the delivery time in the file name, if any"),
    ("bytes", "BIGINT", "size on disk"),
    ("status", "VARCHAR", "loaded, partial (damaged; what could be read was), failed, skipped or pruned"),
    ("format", "VARCHAR", "what the file held: Records, LookupEvents, Lake, array, record, digest, …"),
    ("records", "BIGINT", "records loaded from the file (after the time, account and region filters)"),
    ("rejected", "BIGINT", "items rejected (rows of load_errors)"),
    ("note", "VARCHAR", "why a file was skipped, pruned or failed, or how it was recovered"),
]

DEFAULT_CHUNK_BYTES = 32 * 2**20
# What a bad file can make DuckDB raise; anything else (out of memory, an interrupt) is not the
# file's fault and is raised to the caller.
_FILE_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
DEFAULT_MAXIMUM_OBJECT_SIZE = 256 * 2**20
_LARGEST_OBJECT = 2**32 - 1  # the reader's maximum_object_size is an unsigned 32-bit number


def _create(name: str, columns: list[tuple[str, str, str]]) -> str:
    return f"CREATE TABLE IF NOT EXISTS {name} (" + ", ".join(f"{c} {t}" for c, t, _ in columns) + ")"


CREATE_LOAD_ERRORS_TABLE = _create(LOAD_ERRORS_TABLE, LOAD_ERRORS_COLUMNS)
CREATE_LOAD_FILES_TABLE = _create(LOAD_FILES_TABLE, LOAD_FILES_COLUMNS)


@dataclass
class LoadSummary:
    """What a load did. ``files_read`` counts files parsed (wholly or in part)."""

    files_read: int = 0
    records_loaded: int = 0
    records_rejected: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    files_pruned: int = 0
    files_already_loaded: int = 0
    seconds: float = 0.0
    bytes_read: int = 0

    def __str__(self) -> str:
        text = (f"{self.files_read:,} files read, {self.records_loaded:,} records loaded, "
                f"{self.records_rejected:,} records rejected")
        extras = [(self.files_failed, "files failed"), (self.files_skipped, "files skipped"),
                  (self.files_pruned, "files pruned by key"), (self.files_already_loaded, "files already loaded")]
        text += "".join(f", {n:,} {what}" for n, what in extras if n)
        return text + (f" in {self.seconds:.1f} s" if self.seconds else "")


# --- the loader ----------------------------------------------------------------------------------

def instant(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime, a date or an ISO 8601 string (naive = UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _names(value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset([value] if isinstance(value, str) else value)


def discover(paths: Iterable[str | os.PathLike]) -> list[FileKey]:
    """Every file under ``paths`` (folders are walked, globs expanded), classified by its path."""
    found: dict[str, FileKey] = {}
    for given in paths:
        text = os.fspath(given)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob(text, recursive=True))
            if not matches:
                raise FileNotFoundError(f"no file matches {text!r}")
            for match in matches:
                if os.path.isfile(match):
                    found.setdefault(match, parse_key(match, explicit=True))
        elif os.path.isdir(text):
            for folder, subfolders, files in os.walk(text):
                subfolders.sort()
                for name in sorted(files):
                    path = os.path.join(folder, name)
                    found.setdefault(path, parse_key(path))
        elif os.path.isfile(text):
            found.setdefault(text, parse_key(text, explicit=True))
        else:
            raise FileNotFoundError(f"no such file or folder: {text!r}")
    return [found[path] for path in sorted(found)]


@dataclass
class _FileResult:
    key: FileKey
    size: int
    status: str = "loaded"
    formats: str | None = None
    records: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)


class Loader:
    """Loads files into one DuckDB connection; ``run`` returns what it did."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, start: datetime | None = None,
                 end: datetime | None = None, accounts: frozenset[str] | None = None,
                 regions: frozenset[str] | None = None, delivery_slack: timedelta = timedelta(hours=1),
                 chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                 maximum_object_size: int = DEFAULT_MAXIMUM_OBJECT_SIZE,
                 progress: bool | Progress = False) -> None:
        self.con = con
        self.start, self.end, self.accounts, self.regions = start, end, accounts, regions
        self.delivery_slack = delivery_slack
        self.chunk_bytes = chunk_bytes
        self.maximum_object_size = maximum_object_size
        self.progress = progress
        self.results: dict[str, _FileResult] = {}
        self.loaded = 0
        self._bar: Progress | None = None
        for statement in (CREATE_EVENTS_TABLE, CREATE_LOAD_ERRORS_TABLE, CREATE_LOAD_FILES_TABLE,
                          *lake_macros()):
            _run(con, statement)

    # -- orchestration --

    def run(self, keys: list[FileKey]) -> LoadSummary:
        started = time.perf_counter()
        summary = LoadSummary()
        done = {row[0] for row in self.con.execute(
            f"SELECT file FROM {LOAD_FILES_TABLE} WHERE status IN ('loaded', 'partial')").fetchall()}
        todo: list[_FileResult] = []
        for key in keys:
            if key.path in done:
                summary.files_already_loaded += 1
                continue
            result = self.results[key.path] = _FileResult(key, _size(key.path))
            if key.kind in ("digest", "lake_sign", "other"):
                result.status, result.notes = "skipped", [{"digest": "a digest file, not a log file",
                                                           "lake_sign": "a Lake query-result sign file",
                                                           "other": "not a CloudTrail file"}[key.kind]]
            elif not keep(key, start=self.start, end=self.end, accounts=self.accounts,
                          regions=self.regions, delivery_slack=self.delivery_slack):
                result.status, result.notes = "pruned", ["outside the filters by its S3 key"]
            else:
                todo.append(result)
        if self.progress:
            self._bar = self.progress if isinstance(self.progress, Progress) else Progress(
                sum(r.size for r in todo), len(todo))
        for group in self._chunks([r for r in todo if r.key.kind == "log"]):
            self._stream(group)
        for group in self._chunks([r for r in todo if r.key.kind == "json"]):
            self._isolate(group)
        for result in todo:
            if result.key.kind == "lake_csv":
                self._isolate([result])
        if self._bar is not None:
            self._bar.close()
        self._write_file_table()
        for result in self.results.values():
            if result.status in ("loaded", "partial"):
                summary.files_read += 1
                summary.bytes_read += result.size
            summary.files_failed += result.status == "failed"
            summary.files_skipped += result.status == "skipped"
            summary.files_pruned += result.status == "pruned"
            summary.records_rejected += result.rejected
        summary.records_loaded = self.loaded
        summary.seconds = time.perf_counter() - started
        return summary

    def _chunks(self, results: list[_FileResult]) -> Iterable[list[_FileResult]]:
        group: list[_FileResult] = []
        size = 0
        for result in results:
            if group and (size + result.size > self.chunk_bytes or len(group) >= 4096):
                yield group
                group, size = [], 0
            group.append(result)
            size += result.size
        if group:
            yield group

    def _stream(self, group: list[_FileResult]) -> None:
        """Log files, the bulk of any trail: one streaming statement per chunk, read, normalised and
        inserted in parallel file by file, as a bare DuckDB query would; then a cheap check of
        what went in. Anything unusual (a bad file, a file that held no records) goes the careful
        way, ``_isolate``."""
        paths = [r.key.path for r in group]
        where, params = self._record_filter(group)
        try:
            with self._unordered():
                inserted = _run(self.con, f"INSERT INTO {EVENTS_TABLE} SELECT * FROM ("
                                + normalise_sql(f"({STREAM_RECORDS})") + f") WHERE {where}",
                                {**params, "files": paths, "maximum_object_size": self.maximum_object_size})[0][0]
        except _FILE_ERRORS:
            self._isolate(group)  # nothing was inserted: the statement failed as a whole
            return
        self.loaded += inserted
        counts = self._loaded_per_file(paths)
        if any(odd for _, odd in counts.values()):
            self._reject_non_objects(paths, counts)
        again = []
        for result in group:
            loaded, _ = counts.get(result.key.path, (0, 0))
            if loaded == 0 and not result.rejected:
                again.append(result)  # not a Records file after all, or all filtered: look closer
                continue
            result.records += loaded
            result.formats = "Records"
        if self._bar is not None:
            self._bar.advance(files=len(group) - len(again), nbytes=sum(r.size for r in group if r not in again),
                              records=inserted)
        if again:
            self._isolate(again)

    def _loaded_per_file(self, paths: list[str]) -> dict[str, tuple[int, int]]:
        """Rows now in the table per file, and how many of them look like a non-object item (no
        eventID: only then is the record itself read). Paths are sorted, so the BETWEEN lets
        DuckDB skip every row group of other chunks by its statistics."""
        rows = _run(self.con, f"SELECT source_file, count(*), count(*) FILTER (WHERE event_id IS NULL) "
                              f"FROM {EVENTS_TABLE} WHERE source_file BETWEEN $first AND $last "
                              "AND source_file IN (SELECT unnest($files::VARCHAR[])) GROUP BY source_file",
                    {"first": min(paths), "last": max(paths), "files": paths})
        return {path: (n, odd) for path, n, odd in rows}

    def _reject_non_objects(self, paths: list[str], counts: dict[str, tuple[int, int]]) -> None:
        """Move the items of a Records array that are not objects from the table to load_errors."""
        where = (f"source_file BETWEEN $first AND $last AND source_file IN (SELECT unnest($files::VARCHAR[])) "
                 f"AND event_id IS NULL AND left(record, 1) IS DISTINCT FROM '{{'")
        params = {"first": min(paths), "last": max(paths), "files": paths}
        moved = _run(self.con, f"INSERT INTO {LOAD_ERRORS_TABLE} SELECT source_file, 'record ' || source_index, "
                               f"{NOT_AN_OBJECT.replace('item', 'record')}, left(record, 1000) "
                               f"FROM {EVENTS_TABLE} WHERE {where} RETURNING file", params)
        _run(self.con, f"DELETE FROM {EVENTS_TABLE} WHERE {where}", params)
        self.loaded -= len(moved)
        for (path,) in moved:
            loaded, odd = counts[path]
            counts[path] = (loaded - 1, odd)
            self.results[path].rejected += 1

    @contextmanager
    def _unordered(self) -> Iterator[None]:
        """The table's row order means nothing (every row says where it came from), and not
        keeping it lets DuckDB stream an insert with far less memory."""
        keep_order = _run(self.con, "SELECT current_setting('preserve_insertion_order')")[0][0]
        _run(self.con, "SET preserve_insertion_order = false")
        try:
            yield
        finally:
            _run(self.con, f"SET preserve_insertion_order = {str(bool(keep_order)).lower()}")

    def _isolate(self, group: list[_FileResult]) -> None:
        """Load a chunk; on failure find the bad file, deal with it alone, and reload the rest."""
        try:
            self._transaction(lambda: self._load_chunk(group))
        except _FILE_ERRORS as error:
            culprit = _culprit(str(error), [r.key.path for r in group])
            if culprit is None and len(group) > 1:
                half = len(group) // 2
                self._isolate(group[:half])
                self._isolate(group[half:])
                return
            bad = next(r for r in group if r.key.path == culprit) if culprit else group[0]
            self._recover(bad, error)
            rest = [r for r in group if r is not bad]
            if rest:
                self._isolate(rest)
            return
        if self._bar is not None:
            self._bar.advance(files=len(group), nbytes=sum(r.size for r in group),
                              records=sum(r.records for r in group))

    def _transaction(self, work) -> None:
        _run(self.con, "BEGIN TRANSACTION")
        try:
            work()
        except BaseException:
            _run(self.con, "ROLLBACK")
            raise
        _run(self.con, "COMMIT")

    # -- one chunk --

    def _new_values(self) -> None:
        _run(self.con, "CREATE OR REPLACE TEMP TABLE _trail_values "
                       "(file VARCHAR, vi BIGINT, shape VARCHAR, items JSON[])")

    def _load_chunk(self, group: list[_FileResult], *, maximum_object_size: int | None = None,
                    compression: str = "auto") -> None:
        self._new_values()
        if group[0].key.kind == "lake_csv":
            self._read_csv(group[0].key.path)
        else:
            _run(self.con, f"INSERT INTO _trail_values {READ_FILES}", {
                "files": [r.key.path for r in group], "compression": compression,
                "maximum_object_size": maximum_object_size or self.maximum_object_size})
        self._finish(group)

    def _read_csv(self, path: str) -> None:
        _run(self.con, "CREATE OR REPLACE TEMP TABLE _trail_csv AS "
                       "SELECT to_json(t) AS o FROM read_csv($file, all_varchar = true, header = true) t",
                       {"file": path})
        _run(self.con, "INSERT INTO _trail_values SELECT $file, 0, 'Lake', list(o ORDER BY rowid) "
                       "FROM _trail_csv HAVING count(*) > 0", {"file": path})

    def _finish(self, group: list[_FileResult]) -> None:
        """Normalise the chunk's records into the table, reject the rest, note each file's counts."""
        stats = {row[0]: row[1:] for row in _run(self.con, STATS)}
        not_trail = [path for path, (_, _, skip, _, _) in stats.items() if skip]
        lean = all(values == 1 for (_, _, _, values, _) in stats.values())
        others = any(formats != "Records" for (formats, _, _, _, _) in stats.values())
        good, bad = sources(lean, others)
        where, params = self._record_filter(group)
        inserted = 0
        if stats:
            with self._unordered():
                inserted = _run(self.con, f"INSERT INTO {EVENTS_TABLE} SELECT * FROM ("
                                + normalise_sql(f"({good})") + f") WHERE {where}", params)[0][0]
        rejected: list[tuple] = []
        if others or not lean or any(odd for (_, _, _, _, odd) in stats.values()):
            rejected = _run(self.con,
                            f"INSERT INTO {LOAD_ERRORS_TABLE} SELECT file, 'record ' || position, problem, "
                            f"left(item, 1000) FROM ({bad}) WHERE file NOT IN (SELECT unnest($skip::VARCHAR[])) "
                            "RETURNING file", {"skip": not_trail})
        self.loaded += inserted
        per_file: dict[str, int] = {}
        for (path,) in rejected:
            per_file[path] = per_file.get(path, 0) + 1
        loaded = self._loaded_per_file([r.key.path for r in group]) if inserted else {}
        for result in group:
            formats, items, skip, _, _ = stats.get(result.key.path, (None, 0, False, 0, 0))
            result.formats = _merge_formats(result.formats, formats)
            if skip:
                result.status = "skipped"
                result.notes.append("no CloudTrail records: "
                                    + {"digest": "a digest file", "lake_sign": "a Lake sign file"}.get(
                                        formats or "", "not a trail file"))
                continue
            result.rejected += per_file.get(result.key.path, 0)
            result.records += loaded.get(result.key.path, (0, 0))[0]
            if formats is None and not result.notes:
                result.notes.append("empty: no JSON value in the file")

    def _record_filter(self, group: list[_FileResult]) -> tuple[str, dict[str, Any]]:
        """The WHERE clause for normalised rows: time always; account and region only for files
        whose key did not already decide them."""
        clauses, params = ["true"], {}
        if self.start is not None:
            clauses.append("event_time >= $start")
            params["start"] = self.start
        if self.end is not None:
            clauses.append("event_time < $end")
            params["end"] = self.end
        for wanted, attribute, column in ((self.accounts, "account", "recipient_account_id"),
                                          (self.regions, "region", "aws_region")):
            if wanted is None:
                continue
            keyed = [r.key.path for r in group if getattr(r.key, attribute) is not None]
            if len(keyed) == len(group):
                continue  # every file was selected by its key already
            clauses.append(f"(source_file IN (SELECT unnest(${attribute}_files::VARCHAR[])) "
                           f"OR {column} IN (SELECT unnest(${attribute}_wanted::VARCHAR[])))")
            params[f"{attribute}_files"] = keyed
            params[f"{attribute}_wanted"] = sorted(wanted)
        return " AND ".join(clauses), params

    # -- one bad file --

    def _recover(self, result: _FileResult, error: duckdb.Error) -> None:
        """Try again the ways that can work; salvage what can be read; record the rest."""
        path = result.key.path
        # the file is its own column of load_errors: say "the file" rather than its path again
        message = _first_line(str(error)).replace(f'"{path}"', "the file").replace(path, "the file")
        if "maximum_object_size" in message:
            bigger = min(max(uncompressed_size(path), result.size) * 2 + 2**20, _LARGEST_OBJECT)
            note = f"read with maximum_object_size={bigger:,} (larger than the default)"
            if self._retry(result, note, maximum_object_size=bigger):
                return
        if "not a GZIP stream" in message:
            if self._retry(result, "named .gz but not gzip-compressed: read as plain text", compression="none"):
                return
        self._salvage(result, message)

    def _retry(self, result: _FileResult, note: str, **options: Any) -> bool:
        try:
            self._transaction(lambda: self._load_chunk([result], **options))
        except _FILE_ERRORS:
            return False
        result.notes.append(note)
        if self._bar is not None:
            self._bar.advance(files=1, nbytes=result.size, records=result.records)
        return True

    def _salvage(self, result: _FileResult, message: str) -> None:
        path = result.key.path
        data, damage = read_tolerantly(path)
        text = data.decode("utf-8", errors="replace")
        reason = damage or message
        try:
            if result.key.kind != "lake_csv" and self._as_json_lines(result, text):
                result.status = "partial"
                result.notes.append("read line by line as JSON Lines")
            elif result.key.kind != "lake_csv" and self._as_cut_container(result, text, reason):
                result.status = "partial"
            else:
                self._file_error(result, reason, _position(message))
        except _FILE_ERRORS as again:  # nothing more can be done for this file
            self._file_error(result, f"{reason}; then {_first_line(str(again)).replace(path, 'the file')}", "file")
        if self._bar is not None:
            self._bar.advance(files=1, nbytes=result.size, records=result.records)

    def _as_json_lines(self, result: _FileResult, text: str) -> bool:
        lines = text.splitlines()
        filled = [line for line in lines if line.strip()]
        if len(filled) < 2:
            return False
        valid, first_valid = self.con.execute(
            "SELECT count(*) FILTER (WHERE json_valid(l)), bool_or(json_valid(l) AND i = 1) "
            "FROM unnest($lines) WITH ORDINALITY AS u(l, i)", {"lines": filled}).fetchall()[0]
        if not first_valid:
            return False
        path = result.key.path

        def work() -> None:
            self._new_values()
            _run(self.con, f"INSERT INTO _trail_values {READ_LINES}", {"file": path, "lines": lines})
            bad = self.con.execute(
                f"INSERT INTO {LOAD_ERRORS_TABLE} SELECT $file, 'line ' || (i - 1), 'not valid JSON', left(t, 1000) "
                "FROM unnest($texts) WITH ORDINALITY AS u(t, i) WHERE trim(t) <> '' AND NOT json_valid(t) "
                "RETURNING file", {"file": path, "texts": lines}).fetchall()
            result.rejected += len(bad)
            self._finish([result])

        self._transaction(work)
        return True

    def _as_cut_container(self, result: _FileResult, text: str, reason: str) -> bool:
        """The complete records before the damage of a ``{"Records": [...`` or ``[...`` text."""
        shape, records, stop = complete_records(text)
        if shape is None:
            return False
        path = result.key.path

        def work() -> None:
            self._new_values()
            _run(self.con, "INSERT INTO _trail_values VALUES ($file, 0, $shape, $items::JSON[])",
                             {"file": path, "shape": shape, "items": records})
            self._finish([result])
            _run(self.con, f"INSERT INTO {LOAD_ERRORS_TABLE} VALUES ($file, $position, $reason, NULL)", {
                "file": path, "position": f"byte {stop}",
                "reason": f"{reason}; the {len(records)} complete records before this point were loaded"})

        self._transaction(work)
        result.notes.append(f"damaged at byte {stop}: {len(records)} complete records salvaged")
        return True

    def _file_error(self, result: _FileResult, reason: str, position: str) -> None:
        _run(self.con, f"INSERT INTO {LOAD_ERRORS_TABLE} VALUES ($file, $position, $reason, NULL)",
                         {"file": result.key.path, "position": position, "reason": reason})
        result.status = "failed"
        result.notes.append(reason)

    def _write_file_table(self) -> None:
        rows = list(self.results.values())
        if not rows:
            return
        _run(self.con, 
            f"INSERT INTO {LOAD_FILES_TABLE} SELECT * FROM (SELECT unnest($file), unnest($kind), unnest($account), "
            "unnest($region), unnest($delivered)::TIMESTAMPTZ, unnest($bytes), unnest($status), unnest($format), "
            "unnest($records), unnest($rejected), unnest($note))", {
                "file": [r.key.path for r in rows], "kind": [r.key.kind for r in rows],
                "account": [r.key.account for r in rows], "region": [r.key.region for r in rows],
                "delivered": [r.key.delivered for r in rows], "bytes": [r.size for r in rows],
                "status": [r.status for r in rows], "format": [r.formats for r in rows],
                "records": [r.records for r in rows], "rejected": [r.rejected for r in rows],
                "note": ["; ".join(r.notes) or None for r in rows]})


# --- helpers ---------------------------------------------------------------------------------------

def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[tuple]:
    """Execute and fetch, so no result is left open on the connection (DuckDB 2 refuses the next
    statement on a connection with an unfinished result)."""
    return con.execute(sql, params).fetchall()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _merge_formats(old: str | None, new: str | None) -> str | None:
    parts = sorted({*(old or "").split(","), *(new or "").split(",")} - {""})
    return ",".join(parts) or None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def _culprit(message: str, paths: list[str]) -> str | None:
    """The path DuckDB's error names (the longest, so a.json does not shadow a.json.gz)."""
    named = [path for path in paths if path in message]
    return max(named, key=len) if named else None


def _position(message: str) -> str:
    match = re.search(r"at byte (\d+) in record/value (\d+)", message)
    return f"value {match[2]}, byte {match[1]}" if match else "file"
