"""CloudWatch: metrics, statistics, retention, metric math, alarms and anomaly detection."""
