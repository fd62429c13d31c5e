"""Self-checking exercises for the notebooks: ``q.check(answer)``, ``q.hint()``, ``q.solution()``.

An exercise owns a checker that calls awslab's own engine (or compares with an expected value
computed by it), so the notebook never hard-codes an answer the engine could disagree with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


class Wrong(AssertionError):
    """The learner's answer is not right; the message says why."""


@dataclass
class Exercise:
    """One question. ``checker(answer)`` returns None when right and raises ``Wrong`` otherwise;
    ``expected`` may be given instead of a checker when the answer is a plain value."""

    prompt: str
    checker: Callable[[Any], None] | None = None
    expected: Any = None
    hints: list[str] = field(default_factory=list)
    answer: str = ""
    solved: bool = False

    def check(self, answer: Any) -> bool:
        """Check ``answer`` and say so; returns True when correct."""
        try:
            if self.checker is not None:
                self.checker(answer)
            elif answer != self.expected:
                raise Wrong(f"not quite: {answer!r} is not the answer")
        except Wrong as wrong:
            print(f"✗ {wrong}")
            return False
        self.solved = True
        print("✓ correct")
        return True

    def hint(self) -> None:
        print(*(self.hints or ["no hint for this one: re-read the cell above"]), sep="\n")

    def solution(self) -> None:
        print(self.answer or repr(self.expected))
