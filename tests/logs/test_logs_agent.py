"""The simulated CloudWatch agent: log files shipped to groups, memory and disk metrics in CWAgent.

Pages: the CloudWatch User Guide's "Manually create or edit the CloudWatch agent configuration file"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html)
and "Metrics collected by the CloudWatch agent" (metric names mem_used_percent, disk_used_percent, Windows
"Memory % Committed Bytes In Use" and "LogicalDisk % Free Space"; ``append_dimensions`` drops ``host``).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.logs.agent import AgentConfigError, read_config

LINUX = {
    "agent": {"metrics_collection_interval": 60},
    "metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]},
                                      "disk": {"measurement": ["used_percent"], "resources": ["/"]}}},
    "logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/httpd/access_log", "log_group_name": "/web/access", "log_stream_name": "{hostname}",
         "retention_in_days": 7},
        {"file_path": "/opt/app/app.log", "log_group_name": "/web/app"}]}}},
}


def test_on_premises_linux_server_ships_apache_lines_and_metrics(lab):
    agent = lab.service_for("logs")
    summary = agent.install_cloudwatch_agent("web-1", LINUX)
    assert summary["files"][0] == {"file_path": "/var/log/httpd/access_log", "kind": "apache",
                                   "log_group_name": "/web/access", "log_stream_name": "web-1"}
    lab.advance(minutes=10)
    rows = lab.sql("SELECT log_group, log_stream, count(*) FROM logs_events GROUP BY ALL").fetchall()
    assert rows == [("/web/access", "web-1", 60)]  # one Apache line every 10 s
    logs = lab.client("logs")
    assert logs.describe_log_groups(logGroupNamePrefix="/web/access")["logGroups"][0]["retentionInDays"] == 7
    found = logs.filter_log_events(logGroupName="/web/access",
                                   filterPattern="[ip, id, user, timestamp, request, status_code = 404, bytes]")
    assert found["events"] and all('" 404 ' in e["message"] for e in found["events"])
    metrics = dict(lab.sql("SELECT metric_name, count(*) FROM cloudwatch_datapoints WHERE namespace = 'CWAgent' "
                           "GROUP BY 1").fetchall())
    assert metrics == {"mem_used_percent": 10, "disk_used_percent": 10}
    dims = {m: json.loads(d) for m, d in lab.sql("SELECT DISTINCT metric_name, dimensions FROM cloudwatch_datapoints").fetchall()}
    assert dims["mem_used_percent"] == [{"Name": "host", "Value": "web-1"}]
    assert {d["Name"] for d in dims["disk_used_percent"]} == {"device", "fstype", "host", "path"}
    cw = lab.client("cloudwatch")
    listed = cw.list_metrics(Namespace="CWAgent", MetricName="mem_used_percent")["Metrics"]
    assert listed == [{"Namespace": "CWAgent", "MetricName": "mem_used_percent",
                       "Dimensions": [{"Name": "host", "Value": "web-1"}]}]


def test_appended_lines_are_shipped_once_and_feed_metric_filters(lab):
    agent = lab.service_for("logs")
    agent.install_cloudwatch_agent("web-1", LINUX)
    logs = lab.client("logs")
    logs.put_metric_filter(logGroupName="/web/app", filterName="errors", filterPattern="ERROR", metricTransformations=[
        {"metricName": "AppErrors", "metricNamespace": "App", "metricValue": "1"}])
    agent.append_host_log("web-1", "/opt/app/app.log", ["started", "ERROR disk full", "ERROR again"])
    lab.advance(seconds=30)
    lab.advance(seconds=30)
    messages = [m for (m,) in lab.sql("SELECT message FROM logs_events WHERE log_group = '/web/app' "
                                      "ORDER BY sequence").fetchall()]
    assert messages == ["started", "ERROR disk full", "ERROR again"]
    ingested = lab.sql("SELECT DISTINCT epoch_ms(ingestion_time) - epoch_ms(timestamp) FROM logs_events "
                       "WHERE log_group = '/web/app'").fetchall()
    assert ingested == [(5000,)]  # the agent's 5-second flush
    assert lab.sql("SELECT sum(value) FROM cloudwatch_datapoints WHERE namespace = 'App'").fetchall()[0][0] == 2.0


def test_agent_on_an_ec2_instance_ships_only_while_it_runs(lab):
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro", MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(minutes=1)
    config = {"metrics": {"append_dimensions": {"InstanceId": "${aws:InstanceId}", "InstanceType": "${aws:InstanceType}"},
                          "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}},
              "logs": {"logs_collected": {"files": {"collect_list": [
                  {"file_path": "/var/log/messages", "log_group_name": "/ec2/messages"}]}}}}
    summary = lab.service_for("logs").install_cloudwatch_agent(instance, config)
    assert summary["files"][0]["log_stream_name"] == instance  # the default stream is {instance_id}
    lab.advance(minutes=5)
    ec2.stop_instances(InstanceIds=[instance])
    lab.advance(hours=1)
    shipped = lab.sql("SELECT count(*) FROM logs_events").fetchall()[0][0]
    assert 4 <= shipped <= 6  # one syslog line a minute while it ran
    dims = {d for (d,) in lab.sql("SELECT DISTINCT dimensions FROM cloudwatch_datapoints WHERE namespace = 'CWAgent'").fetchall()}
    assert dims == {json.dumps([{"Name": "InstanceId", "Value": instance}, {"Name": "InstanceType", "Value": "t3.micro"}],
                               separators=(",", ":"))}


def test_windows_server_events_and_counters(lab):
    config = {"metrics": {"namespace": "Windows/Hosts", "metrics_collected": {
                  "Memory": {"measurement": ["% Committed Bytes In Use"]},
                  "LogicalDisk": {"measurement": ["% Free Space"], "resources": ["*"]}}},
              "logs": {"logs_collected": {"windows_events": {"collect_list": [
                  {"event_name": "System", "event_levels": ["ERROR", "WARNING"], "log_group_name": "/win/system"}]}}}}
    lab.service_for("logs").install_cloudwatch_agent("WIN-SERVER-1", config, platform="windows")
    lab.advance(hours=2)
    levels = {m.split("] [")[1] for (m,) in lab.sql("SELECT message FROM logs_events").fetchall()}
    assert levels <= {"ERROR", "WARNING"} and levels
    names = {n for (n,) in lab.sql("SELECT DISTINCT metric_name FROM cloudwatch_datapoints WHERE namespace = "
                                   "'Windows/Hosts'").fetchall()}
    assert names == {"Memory % Committed Bytes In Use", "LogicalDisk % Free Space"}


def test_unknown_measurements_and_hosts_are_refused(lab):
    agent = lab.service_for("logs")
    with pytest.raises(AgentConfigError):
        agent.install_cloudwatch_agent("web-1", {"metrics": {"metrics_collected": {"mem": {"measurement": ["bogus"]}}}})
    with pytest.raises(AgentConfigError):
        agent.install_cloudwatch_agent("i-0123456789abcdef0", {})
    with pytest.raises(AgentConfigError, match="can't start with"):
        agent.install_cloudwatch_agent("web-1", {"logs": {"logs_collected": {"files": {"collect_list": [
            {"file_path": "/var/log/x", "log_group_name": "aws/reserved"}]}}}})
    with pytest.raises(AgentConfigError):
        agent.install_cloudwatch_agent("web-1", {"logs": {"logs_collected": {"windows_events": {"collect_list": [
            {"event_name": "System", "log_group_name": "x"}]}}}})


def test_a_reopened_lab_continues(tmp_path):
    """Sequence numbers and the agent's progress live in tables, so a lab reopened from its file carries on."""
    from awslab import Lab

    path = tmp_path / "lab.duckdb"
    lab = Lab(path=path)
    lab.service_for("logs").install_cloudwatch_agent("web-1", LINUX)
    lab.advance(minutes=1)
    lab.close()
    again = Lab(path=path)
    again.advance(minutes=1)
    rows = again.sql("SELECT count(*), count(DISTINCT sequence), count(DISTINCT event_id) FROM logs_events").fetchall()
    assert rows == [(12, 12, 12)]
    again.close()


JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 100) | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                    max_leaves=12)
KEYS = st.sampled_from(["agent", "metrics", "logs", "logs_collected", "files", "collect_list", "file_path",
                        "log_group_name", "log_stream_name", "metrics_collected", "mem", "measurement", "namespace",
                        "windows_events", "event_levels", "retention_in_days", "append_dimensions"])
CONFIG = st.recursive(st.none() | st.integers(-2, 4000) | st.text(max_size=20) | st.sampled_from(
                          ["/var/log/messages", "mem_used_percent", "g", "${aws:InstanceId}"]),
                      lambda inner: st.lists(inner, max_size=2) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=15)


@settings(max_examples=60, deadline=None)
@given(config=st.one_of(JSON, CONFIG))
def test_any_configuration_is_read_or_refused_with_a_reason(config):
    """An arbitrary configuration gives a plan or AgentConfigError, never another exception."""
    try:
        specs, files = read_config(config, "linux", {"{hostname}": "web-1"}, "{hostname}")
    except AgentConfigError as problem:
        assert str(problem)
        return
    assert all(isinstance(f[2], str) and f[2] for f in files) and all(isinstance(s[0], str) for s in specs)
