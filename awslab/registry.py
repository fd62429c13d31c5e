"""The services a lab runs, as ``"module:Class"`` strings, set up in this order.

Add a line here when a new service lands; nothing else in the core needs to change.
"""

SERVICES: list[str] = [
    "awslab.cloudtrail.service:CloudTrailService",
    "awslab.cloudwatch.service:CloudWatchService",
]
