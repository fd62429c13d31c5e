"""A one-line progress bar on stderr, redrawn in place; enough for a terminal and a notebook."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts bytes of input done out of a known total and redraws at most ten times a second."""

    def __init__(self, total_bytes: int, total_files: int, *, stream: TextIO | None = None,
                 label: str = "loading") -> None:
        self.total_bytes = max(total_bytes, 1)
        self.total_files = total_files
        self.stream = stream or sys.stderr
        self.label = label
        self.bytes = self.files = self.records = 0
        self._started = time.perf_counter()
        self._drawn = 0.0
        if total_files == 0:
            self._draw(self._started)

    def advance(self, *, files: int, nbytes: int, records: int) -> None:
        self.files += files
        self.bytes += nbytes
        self.records += records
        now = time.perf_counter()
        if now - self._drawn >= 0.1 or self.files >= self.total_files:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = min(self.bytes / self.total_bytes, 1.0)
        bar = "█" * int(share * 30) + "·" * (30 - int(share * 30))
        self.stream.write(f"\r{self.label} {bar} {share:4.0%}  {self.files:,}/{self.total_files:,} files"
                          f"  {self.records:,} records  {now - self._started:.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.files < self.total_files:  # otherwise the last advance drew the final state
            self._draw(time.perf_counter())
        self.stream.write("\n")
        self.stream.flush()
