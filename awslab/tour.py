"""Exercises for the start-here notebook, checked against what the lab itself recorded."""

from __future__ import annotations

from .exercises import Exercise, Wrong
from .lab import Lab


def tour_exercises(lab: Lab) -> tuple[Exercise, Exercise]:
    def count_read_only(answer) -> None:
        expected = lab.db.execute("SELECT count(*) FROM cloudtrail_events WHERE read_only").fetchone()[0]
        if answer != expected:
            raise Wrong(f"{answer!r} is not the number of read-only records; count rows where read_only is true")

    def refused_code(answer) -> None:
        codes = {row[0] for row in lab.db.execute(
            "SELECT error_code FROM cloudtrail_events WHERE error_code IS NOT NULL").fetchall()}
        if answer not in codes:
            raise Wrong(f"{answer!r} is not an error code CloudTrail recorded")

    q1 = Exercise("How many of your calls did CloudTrail record as read-only (List*, Describe*, Get*)?",
                  checker=count_read_only,
                  hints=["Filter cloudtrail_events on the read_only column."],
                  answer='lab.sql("select count(*) from cloudtrail_events where read_only").fetchall()[0][0]')
    q2 = Exercise("Which error code did the lab return when you published into the AWS/EC2 namespace?",
                  checker=refused_code,
                  hints=["Look at the error_code column of cloudtrail_events, or at the ClientError printed above."],
                  answer='"InvalidParameterValue"')
    return q1, q2
