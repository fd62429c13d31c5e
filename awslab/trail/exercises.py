"""Exercises for notebook 60, each checked by asking the loaded events themselves."""

from __future__ import annotations

from typing import Any

from ..exercises import Exercise, Wrong
from .events import Events


def trail_exercises(events: Events) -> tuple[Exercise, Exercise, Exercise, Exercise]:
    """Four questions on ``events`` (the notebook's real samples); the answers come from the catalogue."""

    def stop_logging(answer: Any) -> None:
        expected = events.sql("SELECT count(*) FROM (" + events.sql_for("cloudtrail_tampering") + ") "
                              "WHERE event_name = 'StopLogging'").fetchall()[0][0]
        if answer != expected:
            raise Wrong(f"{answer!r} is not how many StopLogging calls there were; "
                        "count the cloudtrail_tampering rows whose event_name is StopLogging")

    def most_denied(answer: Any) -> None:
        rows = events.sql("SELECT actor, sum(denied) AS denied FROM (" + events.sql_for("access_denied") + ") "
                          "GROUP BY actor ORDER BY denied DESC, actor").fetchall()
        if not rows or answer != rows[0][0]:
            raise Wrong(f"{answer!r} is not the principal with the most denied calls; "
                        "add up the denied column of access_denied per actor")

    def distinct_ips(answer: Any) -> None:
        """The learner writes SQL; it must give the same number as the engine's own query."""
        if not isinstance(answer, str):
            raise Wrong("answer with the text of a SQL query")
        try:
            got = events.sql(answer).fetchall()
        except Exception as error:  # the learner's SQL: show DuckDB's message, whatever it is
            raise Wrong(f"that SQL does not run: {error}") from None
        expected = events.sql("SELECT count(DISTINCT source_ip_address) FROM cloudtrail_events "
                              "WHERE actor = 'bert-jan'").fetchall()
        if got != expected:
            raise Wrong(f"your query returns {got!r}; expected one row with one number")

    def question_for_snapshot(answer: Any) -> None:
        from .questions import catalogue
        if answer not in catalogue():
            raise Wrong(f"{answer!r} is not a question of the catalogue; see events.questions()")
        try:
            relation = events.ask(answer)
        except TypeError as error:
            raise Wrong(f"{answer!r} needs a value to look for ({error}); the right one needs none") from None
        names = relation.columns
        rows = relation.fetchall()
        if "event_name" not in names or not any(r[names.index("event_name")] == "ModifySnapshotAttribute" for r in rows):
            raise Wrong(f"{answer!r} does not list the ModifySnapshotAttribute call that shared the snapshot")

    q1 = Exercise("How many times was CloudTrail logging stopped (StopLogging) in the loaded samples?",
                  checker=stop_logging,
                  hints=["Ask the cloudtrail_tampering question and count the rows whose event_name is StopLogging."],
                  answer='int((events.ask("cloudtrail_tampering").df().event_name == "StopLogging").sum())')
    q2 = Exercise("Which principal (actor) had the most calls refused for lack of permission?",
                  checker=most_denied,
                  hints=["access_denied has one row per actor, API and error code; add up `denied` per actor."],
                  answer='events.ask("access_denied").df().groupby("actor").denied.sum().idxmax()')
    q3 = Exercise("Write SQL that counts the distinct source IP addresses the user bert-jan called from.",
                  checker=distinct_ips,
                  hints=["SELECT count(DISTINCT …) FROM cloudtrail_events WHERE actor = …"],
                  answer="\"SELECT count(DISTINCT source_ip_address) FROM cloudtrail_events WHERE actor = 'bert-jan'\"")
    q4 = Exercise("Which question of the catalogue finds the snapshot shared in Stratus's "
                  "aws.exfiltration.ec2-share-ebs-snapshot technique?",
                  checker=question_for_snapshot,
                  hints=["Look through events.questions() for sharing or exfiltration."],
                  answer='"snapshot_sharing"')
    return q1, q2, q3, q4
