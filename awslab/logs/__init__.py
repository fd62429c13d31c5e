"""CloudWatch Logs: log groups and streams, filter patterns, metric filters and Logs Insights."""
