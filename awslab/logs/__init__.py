"""CloudWatch Logs: log groups and streams, filter patterns, metric filters and Logs Insights.

The service (:mod:`.service`, ``LogsService``) answers boto3's ``logs`` client over the ``logs_*`` tables:

* :mod:`.groups` — groups, streams, names, ARNs, retention;
* :mod:`.events` — PutLogEvents' limits, GetLogEvents, FilterLogEvents;
* :mod:`.metric_filters` — metric filters and the datapoints they publish;
* :mod:`.export` — export tasks to S3; :mod:`.queries` — Logs Insights through StartQuery;
* :mod:`.agent` — the simulated CloudWatch agent on lab EC2 instances and on-premises servers.

The semantic engines have no API plumbing: :mod:`.patterns` (the filter-pattern language, with
``patterns_tree``, ``patterns_parser``, ``patterns_regex``, ``patterns_match`` and ``patterns_sql``) and
:mod:`.insights` (the Logs Insights subset, with ``insights_tokens``, ``insights_parser`` and ``insights_sql``).
"""
