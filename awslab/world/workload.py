"""The seeded workload model of each instance and the job that publishes AWS/EC2 and AWS/EBS metrics.

A workload is a pure function of (instance, seed, minute): CPU utilisation follows a profile and
deterministic hash noise, and everything else (network bytes and packets, instance-store and EBS
operations, status checks) follows from the CPU level. So a datapoint is the same however the
clock got there, and a notebook run twice draws the same curves.

Profiles (``set_workload`` or the instance tag ``awslab:workload``):

* ``steady`` — ``base`` % ± ``amplitude`` % noise (defaults 20 ± 5);
* ``spiky`` — ``base`` % with five-minute bursts of up to ``base + amplitude`` % in about one
  interval in eight (defaults 15 and 70);
* ``daily`` — a daily cycle from ``base`` % at night to ``base + amplitude`` % at 14:00 UTC
  (defaults 25 and 50).

An incident (``incident_at``, ``incident_minutes``, ``incident_kind``) overrides the profile while it
lasts: ``cpu`` pins CPU near 100 %, ``instance`` fails the instance status check and ``system`` the
system status check (the instance then moves no traffic).

How the datapoints reach CloudWatch is in ec2_metrics.sql; the job runs on every clock advance, as
one SQL batch, and hands the batch to CloudWatch through the hub's ``metric_data`` datapoints_sql form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..clock import parse_instant
from . import ec2_catalog as catalog

WORKLOAD_TAG = "awslab:workload"
PROFILES = {"steady": (20.0, 5.0), "spiky": (15.0, 70.0), "daily": (25.0, 50.0)}
INCIDENT_KINDS = ("cpu", "instance", "system")
BATCH = timedelta(days=7)
METRICS_SQL = (Path(__file__).with_name("ec2_metrics.sql")).read_text()
NOISE_MACRO = ("CREATE OR REPLACE MACRO ec2_noise(seed, k, t) AS "
               "(md5_number(seed || '/' || k || '/' || CAST(t AS VARCHAR)) >> 96)::DOUBLE / 4294967296.0")
"""Deterministic noise in [0, 1) from a seed, a name and an instant: the top 32 bits of an md5, so
it is the same on every machine and DuckDB version (a shift, because 128-bit modulo is slow)."""

_PUBLISH_SQL = ("SELECT namespace, metric_name, dimensions, timestamp, unit, storage_resolution, value, count, "
                "sample_count, sum, minimum, maximum, received_at FROM ec2_metric_batch "
                "WHERE region = ? AND account_id = ?")


_RUNNING_SQL = """
SELECT count(*) FROM (
    SELECT state, entered_at, lead(entered_at) OVER (PARTITION BY instance_id ORDER BY entered_at, seq) AS left_at
    FROM ec2_instance_states)
WHERE state = 'running' AND entered_at < $hi AND coalesce(left_at, $hi) > $lo"""
"""Was any instance running between $lo and $hi? (Empty time costs one small query, not a batch.)"""


@dataclass(frozen=True)
class Workload:
    """One instance's workload settings (see the module docstring)."""

    profile: str = "steady"
    base: float | None = None
    amplitude: float | None = None
    seed: str | None = None
    incident_at: datetime | None = None
    incident_minutes: int = 30
    incident_kind: str = "cpu"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown workload profile {self.profile!r}; choose one of {', '.join(PROFILES)}")
        if self.incident_kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown incident kind {self.incident_kind!r}; choose one of {', '.join(INCIDENT_KINDS)}")
        if self.incident_minutes < 1:
            raise ValueError("incident_minutes must be at least 1")

    def row(self, instance_id: str, effective_from: datetime) -> list[Any]:
        base, amplitude = PROFILES[self.profile]
        return [instance_id, effective_from, self.profile, base if self.base is None else float(self.base),
                amplitude if self.amplitude is None else float(self.amplitude), self.seed or instance_id,
                self.incident_at, self.incident_minutes, self.incident_kind]


def parse_workload_tag(text: str) -> Workload:
    """A Workload from a tag value such as ``spiky`` or ``daily;base=30;incident_at=2026-01-01T02:00Z``.

    Tags are free text, so a value the lab cannot read falls back to the default workload
    rather than failing the call that set it.
    """
    fields: dict[str, Any] = {}
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    if parts and "=" not in parts[0]:
        fields["profile"] = parts.pop(0).lower()
    for part in parts:
        key, _, value = part.partition("=")
        key = key.strip().lower()
        try:
            if key in ("base", "amplitude"):
                fields[key] = float(value)
            elif key == "incident_minutes":
                fields[key] = int(value)
            elif key == "incident_at":
                fields[key] = parse_instant(value.strip())
            elif key in ("seed", "incident_kind", "profile"):
                fields[key] = value.strip()
        except (ValueError, TypeError, OverflowError):
            continue
    try:
        return Workload(**fields)
    except (ValueError, TypeError):
        return Workload()


class WorkloadMixin:
    """The workload of each instance, and the metric publishing job (mixed into Ec2Service)."""

    def set_workload(self, instance_id: str, profile: str = "steady", *, base: float | None = None,
                     amplitude: float | None = None, seed: str | None = None,
                     incident_at: str | datetime | None = None, incident_minutes: int = 30,
                     incident_kind: str = "cpu") -> None:
        """Give an instance a workload from now on (the lab call behind ``lab.set_workload``).

            >>> lab.set_workload("i-0123456789abcdef0", "spiky")                        # doctest: +SKIP
            >>> lab.set_workload(iid, "steady", incident_at="2026-01-01T01:00:00Z")      # doctest: +SKIP
        """
        workload = Workload(profile, base, amplitude, seed,
                            None if incident_at is None else parse_instant(incident_at), incident_minutes,
                            incident_kind)
        if not self.lab.db.execute("SELECT 1 FROM ec2_instances WHERE instance_id = ?", [instance_id]).fetchone():
            raise LookupError(f"no instance {instance_id!r} in this lab")
        with self.lab.transaction():
            self._store_workload(instance_id, self.lab.now, workload)

    def _workload_from_tags(self, tags: dict[str, str]) -> Workload:
        return parse_workload_tag(tags[WORKLOAD_TAG]) if WORKLOAD_TAG in tags else Workload()

    def _store_workload(self, instance_id: str, at: datetime, workload: Workload) -> None:
        self.lab.db.execute("DELETE FROM ec2_workloads WHERE instance_id = ? AND effective_from = ?", [instance_id, at])
        self.lab.db.execute("INSERT INTO ec2_workloads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", workload.row(instance_id, at))

    def _failing_check(self, instance_id: str, at: datetime) -> str | None:
        """"instance" or "system" while a status-check incident is under way, else None."""
        found = self.lab.db.execute(
            "SELECT incident_kind FROM ec2_workloads WHERE instance_id = ? AND effective_from <= ? "
            "AND incident_at <= ? AND incident_at + to_minutes(incident_minutes) > ? "
            "ORDER BY effective_from DESC LIMIT 1", [instance_id, at, at, at]).fetchone()
        return found[0] if found and found[0] in ("instance", "system") else None

    # ------------------------------------------------------------------ the publishing job
    def _metrics_progress(self) -> datetime:
        found = self.lab.db.execute("SELECT done_until FROM ec2_job_progress WHERE name = 'metrics'").fetchone()
        return found[0]

    def _publish_metrics(self, until: datetime) -> None:
        """Catch-up job: publish every datapoint whose sample minute ended by ``until``, one SQL batch
        per week of lab time (so a jump of months never builds one enormous batch)."""
        done = self._metrics_progress()
        target = until.replace(second=0, microsecond=0)
        lo = done - timedelta(minutes=done.minute % 5)
        if done < target and not self.lab.db.execute(_RUNNING_SQL, {"lo": lo, "hi": target}).fetchone()[0]:
            # nothing ran in the whole interval: jump, instead of a query per week of empty time
            self.lab.db.execute("UPDATE ec2_job_progress SET done_until = ? WHERE name = 'metrics'", [target])
            return
        while done < target:
            step = min(target, done + BATCH)
            self._publish_batch(done, step, until)
            done = step

    def _publish_batch(self, done: datetime, target: datetime, until: datetime) -> None:
        db = self.lab.db
        lo = done - timedelta(minutes=done.minute % 5)
        if db.execute(_RUNNING_SQL, {"lo": lo, "hi": target}).fetchone()[0]:
            self._run_batch(lo, done, target, until)
        db.execute("UPDATE ec2_job_progress SET done_until = ? WHERE name = 'metrics'", [target])

    def _run_batch(self, lo: datetime, done: datetime, target: datetime, until: datetime) -> None:
        db = self.lab.db
        db.execute("DELETE FROM ec2_metric_batch")
        db.execute(METRICS_SQL, {"lo": lo, "wm": done, "hi": target, "status_after": catalog.STATUS_CHECKS_AFTER})
        for region, account_id in db.execute("SELECT DISTINCT region, account_id FROM ec2_metric_batch "
                                             "ORDER BY ALL").fetchall():
            self.lab.hub.publish("metric_data", {"datapoints_sql": _PUBLISH_SQL, "params": [region, account_id],
                                                 "region": region, "account_id": account_id, "time": until})
        db.execute("DELETE FROM ec2_metric_batch")
