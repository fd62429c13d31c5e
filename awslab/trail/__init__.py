"""Real exported CloudTrail logs: loading into DuckDB, a catalogue of questions, an HTML report.

>>> from awslab import trail
>>> events = trail.load("AWSLogs/")                        # doctest: +SKIP
>>> events.ask("console_logins_without_mfa").df()          # doctest: +SKIP

Works without a Lab, on files no one here wrote: see docs/trail.md.
"""

from .events import Events, load, open
from .loader import LoadSummary
from .questions import Param, Question, catalogue

__all__ = ["Events", "LoadSummary", "Param", "Question", "catalogue", "load", "open"]
