"""How fast `awslab.trail.load` reads a trail, against bare DuckDB and pandas in the same run.

    .venv/bin/python benchmarks/trail_load.py --records 2000000

Generates a realistic trail (S3 layout, gzipped; cached in --workdir) of N records and one of N/10,
then, each in a fresh process so that peak memory is its own:

* ours: ``trail.load(tree, db=<file>)`` into a DuckDB file, for N and for N/10 (memory must not
  grow tenfold with the input);
* bare DuckDB over the same files, into a DuckDB file with the same memory limit: the fastest
  hand-written statements that build the same table (one streaming statement, and
  read-then-normalise in two), plus a plain count of the records as the floor no loader can beat;
* pandas: ``json.load`` of the gzipped files and ``pandas.json_normalize`` on a slice, extrapolated.

It prints the figures and the ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GLOB = "AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"


def trail_dir(workdir: Path, records: int) -> Path:
    """Generate (once) a trail of ``records`` base records; compresslevel 1 to generate fast (the
    gzip format, and so the reading, is the same at any level)."""
    from awslab.trail.generate import generate_trail

    folder = workdir / f"trail-{records}"
    marker = folder / "done.json"
    if not marker.exists():
        started = time.perf_counter()
        made = generate_trail(folder, records, seed=0, days=max(1.0, records / 200_000), compresslevel=1)
        marker.write_text(json.dumps({"records": made.records, "files": made.files}))
        print(f"  generated {made.records:,} records in {made.files:,} files in {time.perf_counter() - started:.0f} s",
              flush=True)
    return folder


# --- what each child process runs -----------------------------------------------------------------

def child_ours(folder: str, db: str) -> dict:
    from awslab import trail

    started = time.perf_counter()
    events = trail.load(folder, db=db)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "records": events.summary.records_loaded}


def _bare(db: str, statements: list[str], folder: str) -> dict:
    import duckdb

    from awslab.records import CREATE_EVENTS_TABLE

    from awslab.trail.events import DEFAULT_FILE_MEMORY_LIMIT

    con = duckdb.connect(db)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    # the same memory budget as ours: without it a 2-million-record load holds gigabytes
    con.execute("SET memory_limit = $limit", {"limit": DEFAULT_FILE_MEMORY_LIMIT}).fetchall()
    con.execute(CREATE_EVENTS_TABLE)
    files = str(Path(folder) / GLOB)
    started = time.perf_counter()
    result = None
    for statement in statements:
        result = con.execute(statement.replace("$glob", f"'{files}'")).fetchall()
    seconds = time.perf_counter() - started
    count = con.execute("SELECT count(*) FROM cloudtrail_events").fetchall()[0][0] or (result[0][0] if result else 0)
    return {"seconds": seconds, "records": count}


def child_bare_count(folder: str, db: str) -> dict:
    return _bare(db, ["SELECT count(*) FROM (SELECT unnest(json_extract(json, '$.Records[*]')) "
                      "FROM read_json_objects($glob, format = 'unstructured', maximum_object_size = 268435456))"],
                 folder)


def child_bare_stream(folder: str, db: str) -> dict:
    from awslab.records import normalise_sql

    source = ("(SELECT unnest(json_extract(json, '$.Records[*]')) AS record, filename AS source_file, "
              "0::BIGINT AS source_index FROM read_json_objects($glob, format = 'unstructured', filename = true, "
              "maximum_object_size = 268435456))")
    return _bare(db, [f"INSERT INTO cloudtrail_events {normalise_sql(source)}"], folder)


def child_bare_two_step(folder: str, db: str) -> dict:
    from awslab.records import normalise_sql

    return _bare(db, [
        "CREATE TEMP TABLE files AS SELECT filename, json_extract(json, '$.Records[*]') AS records "
        "FROM read_json_objects($glob, format = 'unstructured', filename = true, maximum_object_size = 268435456)",
        "INSERT INTO cloudtrail_events " + normalise_sql(
            "(SELECT record, filename AS source_file, i - 1 AS source_index "
            "FROM files, unnest(records) WITH ORDINALITY AS u(record, i))")], folder)


def child_pandas(folder: str, limit: str) -> dict:
    import pandas as pd

    records = []
    started = time.perf_counter()
    for path in sorted(Path(folder).glob(GLOB)):
        with gzip.open(path, "rt") as handle:
            records.extend(json.load(handle)["Records"])
        if len(records) >= int(limit):
            break
    frame = pd.json_normalize(records)
    return {"seconds": time.perf_counter() - started, "records": len(records), "columns": frame.shape[1]}


CHILDREN = {"ours": child_ours, "bare_count": child_bare_count, "bare_stream": child_bare_stream,
            "bare_two_step": child_bare_two_step, "pandas": child_pandas}


def run_child(kind: str, folder: Path, extra: str) -> dict:
    """Run one measurement in a fresh interpreter; add its peak resident memory. A baseline that
    fails (out of memory within the limit, say) is reported, not fatal."""
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(folder), extra],
                          capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no message)"]
        reason = next((line for line in reversed(lines) if "Error" in line), lines[-1])
        return {"error": reason[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "awslab-trail-bench"))
    parser.add_argument("--pandas-slice", type=int, default=20_000)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FOLDER", "EXTRA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, extra = args.child
        result = CHILDREN[kind](folder, extra)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    big, small = args.records, max(args.records // 10, 1000)
    print(f"trail of {big:,} records (and {small:,} for the memory comparison), in {workdir}", flush=True)
    big_dir, small_dir = trail_dir(workdir, big), trail_dir(workdir, small)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        for name, kind, folder in (("ours", "ours", big_dir), ("ours_small", "ours", small_dir),
                                   ("bare_count", "bare_count", big_dir), ("bare_stream", "bare_stream", big_dir),
                                   ("bare_two_step", "bare_two_step", big_dir)):
            extra = os.path.join(scratch, f"{name}.duckdb")
            results[name] = r = run_child(kind, folder, extra)
            if "error" in r:
                print(f"  {name:14} did not finish: {r['error']}", flush=True)
                continue
            print(f"  {name:14} {r['records']:>10,} records  {r['seconds']:7.1f} s  "
                  f"{r['records'] / r['seconds']:>10,.0f} records/s  peak {r['peak_mb']:,.0f} MB", flush=True)
        results["pandas"] = run_child("pandas", big_dir, str(args.pandas_slice))
        p = results["pandas"]
        print(f"  {'pandas':14} {p['records']:>10,} records  {p['seconds']:7.1f} s  "
              f"{p['records'] / p['seconds']:>10,.0f} records/s  ({p['columns']} columns)  peak {p['peak_mb']:,.0f} MB")

    ours = results["ours"]
    finished = [k for k in ("bare_stream", "bare_two_step") if "error" not in results[k]]
    fastest = min(finished, key=lambda k: results[k]["seconds"])
    pandas_rate = p["records"] / p["seconds"]
    print()
    print(f"ours: {ours['records'] / ours['seconds']:,.0f} records/s")
    print(f"ratio ours / fastest bare DuckDB building the same table ({fastest}): "
          f"{ours['seconds'] / results[fastest]['seconds']:.2f}x  (goal: at most 1.25x)")
    print(f"ratio ours / bare count of the records (a floor; builds no table): "
          f"{ours['seconds'] / results['bare_count']['seconds']:.2f}x")
    print(f"pandas json_normalize, extrapolated to {big:,} records: {big / pandas_rate:,.0f} s "
          f"({(big / pandas_rate) / ours['seconds']:.1f}x ours)")
    print(f"peak memory: {results['ours_small']['peak_mb']:,.0f} MB for {small:,} records, "
          f"{ours['peak_mb']:,.0f} MB for {big:,} records "
          f"({ours['peak_mb'] / results['ours_small']['peak_mb']:.1f}x memory for {big / small:.0f}x input)")


if __name__ == "__main__":
    main()
