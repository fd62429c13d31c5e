"""Real exported CloudTrail logs: loading into DuckDB, a catalogue of questions, reports."""
