"""Work that falls due on the lab clock, run in time order by ``Lab.advance``.

Two kinds of job:

* **periodic** jobs run at fixed instants (every minute for alarm evaluation, every five
  minutes for log-file delivery, hourly digests...). ``is_active()`` lets a job say it has
  nothing to do, so empty time is skipped instead of stepped through.
* **catch-up** jobs bring themselves up to a given instant in one batch (publishing workload
  metrics, rolling up and expiring datapoints, enforcing retention). They run before every
  periodic job, so a periodic job always sees a world that is up to date, and once at the end.

Jobs keep their own progress in tables, so a lab reopened from a file resumes where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class PeriodicJob:
    name: str
    period: timedelta
    run: Callable[[datetime], None]
    is_active: Callable[[], bool] = field(default=lambda: True)
    offset: timedelta = timedelta(0)
    order: int = 100

    def next_due(self, after: datetime) -> datetime:
        """The first instant strictly after ``after`` on this job's grid (EPOCH + offset + k·period)."""
        elapsed = after - EPOCH - self.offset
        steps = elapsed // self.period + 1
        return EPOCH + self.offset + steps * self.period


@dataclass
class CatchUpJob:
    name: str
    run: Callable[[datetime], None]
    order: int = 100


class Scheduler:
    def __init__(self) -> None:
        self.periodic: list[PeriodicJob] = []
        self.catch_up: list[CatchUpJob] = []

    def every(self, name: str, period: timedelta, run: Callable[[datetime], None], *,
              is_active: Callable[[], bool] = lambda: True, offset: timedelta = timedelta(0),
              order: int = 100) -> PeriodicJob:
        """Run ``run(instant)`` at every multiple of ``period`` (plus ``offset``) since the epoch."""
        job = PeriodicJob(name, period, run, is_active, offset, order)
        self.periodic.append(job)
        self.periodic.sort(key=lambda j: j.order)
        return job

    def keep_up(self, name: str, run: Callable[[datetime], None], *, order: int = 100) -> CatchUpJob:
        """Call ``run(until)`` whenever time moves, so the job can bring itself up to ``until``."""
        job = CatchUpJob(name, run, order)
        self.catch_up.append(job)
        self.catch_up.sort(key=lambda j: j.order)
        return job

    def due(self, after: datetime, until: datetime) -> tuple[datetime, list[PeriodicJob]] | None:
        """The earliest instant in (after, until] at which an active periodic job is due, and those jobs."""
        best: datetime | None = None
        jobs: list[PeriodicJob] = []
        for job in self.periodic:
            if not job.is_active():
                continue
            instant = job.next_due(after)
            if instant > until:
                continue
            if best is None or instant < best:
                best, jobs = instant, [job]
            elif instant == best:
                jobs.append(job)
        return None if best is None else (best, jobs)
