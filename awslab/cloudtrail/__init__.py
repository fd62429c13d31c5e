"""CloudTrail: the event record of every call, event history, trails, delivery and integrity."""
