"""awslab: a lab for learning and analysing AWS monitoring and governance.

``Lab`` simulates CloudTrail, CloudWatch (metrics, alarms, Logs), EventBridge and AWS Config
over DuckDB tables, on a clock you control, answered through real boto3 clients.
``awslab.trail`` loads real exported CloudTrail logs into the same tables.
"""

from .errors import AWSError, ClockError
from .identity import Principal
from .lab import Lab

__all__ = ["Lab", "Principal", "AWSError", "ClockError"]
__version__ = "0.1.0"
