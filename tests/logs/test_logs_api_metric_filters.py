"""Metric filters through boto3: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter, and
the datapoints they publish into CloudWatch.

Pages: LAPI:PutMetricFilter, LAPI:MetricTransformation, LAPI:TestMetricFilter, LG:MonitoringLogData ("Filters do
not retroactively filter data"), LG:Counting404Responses, LG:ExtractBytesExample, and for the CloudTrail part the
CloudTrail User Guide's "Creating CloudWatch alarms for CloudTrail events: examples"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html) and the CIS
controls of Security Hub (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

START_MS = 1767225600000  # 2026-01-01T00:00:00Z
REPO = Path(__file__).resolve().parents[2]
APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" {status} {size}'


@pytest.fixture
def logs(lab):
    client = lab.client("logs")
    client.create_log_group(logGroupName="g")
    client.create_log_stream(logGroupName="g", logStreamName="s")
    return client


def put(logs, messages: list[str], at: int = START_MS) -> None:
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": at + i, "message": m} for i, m in enumerate(messages)])


def datapoints(lab, metric: str | None = None) -> list[tuple]:
    where = "" if metric is None else f"WHERE metric_name = '{metric}'"
    return lab.sql(f"SELECT metric_name, dimensions, epoch_ms(timestamp), value, unit FROM cloudwatch_datapoints "
                   f"{where} ORDER BY timestamp, dimensions").fetchall()


def error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def counter(logs, name: str, pattern: str, **transformation) -> None:
    logs.put_metric_filter(logGroupName="g", filterName=name, filterPattern=pattern, metricTransformations=[
        {"metricName": name, "metricNamespace": "Test", "metricValue": "1", **transformation}])


def test_filters_are_not_retroactive(logs, lab):
    """Events ingested before the filter existed never publish; events after it do, at their own timestamp."""
    put(logs, ["ERROR before"])
    lab.advance(minutes=1)
    counter(logs, "Errors", "ERROR")
    assert datapoints(lab) == []
    put(logs, ["ERROR after", "all good"], at=START_MS + 61_000)
    assert datapoints(lab) == [("Errors", "[]", START_MS + 61_000, 1.0, "None")]
    cw = lab.client("cloudwatch")
    stats = cw.get_metric_statistics(Namespace="Test", MetricName="Errors", StartTime=datetime(2026, 1, 1, tzinfo=timezone.utc),
                                     EndTime=datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc), Period=60, Statistics=["Sum"])
    assert [d["Sum"] for d in stats["Datapoints"]] == [1.0]


def test_count_404s_in_an_apache_log(logs, lab):
    """LG:Counting404Responses: [IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes], value 1."""
    counter(logs, "404Count", "[IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes]")
    put(logs, [APACHE.format(status=404, size=12), APACHE.format(status=200, size=1534), APACHE.format(status=404, size=5)])
    assert [row[3] for row in datapoints(lab)] == [1.0, 1.0]


def test_metric_value_from_a_field_and_dimensions(logs, lab):
    """LG:ExtractBytesExample: metricValue $size with a dimension from $IP; the page's JSON example { $.latency = * }."""
    logs.put_metric_filter(logGroupName="g", filterName="bytes", filterPattern="[ip, id, user, timestamp, request, status_code, size]",
                           metricTransformations=[{"metricName": "Bytes", "metricNamespace": "Test", "metricValue": "$size",
                                                   "unit": "Bytes", "dimensions": {"IP": "$ip", "Status": "$status_code"}}])
    logs.put_metric_filter(logGroupName="g", filterName="latency", filterPattern="{ $.latency = * }",
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": "Test",
                                                   "metricValue": "$.latency"}])
    put(logs, [APACHE.format(status=200, size=1534), APACHE.format(status=304, size="-"), '{"latency": 50}',
               '{"latency": "fast"}'])
    assert datapoints(lab, "Bytes") == [("Bytes", '[{"Name":"IP","Value":"127.0.0.1"},{"Name":"Status","Value":"200"}]',
                                         START_MS, 1534.0, "Bytes")]
    assert datapoints(lab, "Latency") == [("Latency", "[]", START_MS + 2, 50.0, "None")]


def test_default_value_is_published_for_minutes_without_a_match(logs, lab):
    """defaultValue: reported for a minute in which events arrived but none matched; nothing for empty minutes."""
    counter(logs, "Errors", "ERROR", defaultValue=0)
    put(logs, ["ok"], at=START_MS - 120_000)
    put(logs, ["ERROR x", "ok"], at=START_MS - 60_000)
    assert [(row[2], row[3]) for row in datapoints(lab)] == [(START_MS - 120_000, 0.0), (START_MS - 60_000, 1.0)]


def test_put_describe_and_delete(logs):
    counter(logs, "b-filter", '"ERROR"', unit="Count")
    counter(logs, "a-filter", "{ $.x = 1 }")
    described = logs.describe_metric_filters(logGroupName="g")["metricFilters"]
    assert [f["filterName"] for f in described] == ["a-filter", "b-filter"]  # ASCII-sorted by name
    assert described[1] == {"filterName": "b-filter", "filterPattern": '"ERROR"', "creationTime": START_MS,
                            "logGroupName": "g", "applyOnTransformedLogs": False, "metricTransformations": [
                                {"metricName": "b-filter", "metricNamespace": "Test", "metricValue": "1", "unit": "Count"}]}
    assert len(logs.describe_metric_filters(logGroupName="g", filterNamePrefix="a")["metricFilters"]) == 1
    assert len(logs.describe_metric_filters(metricName="a-filter", metricNamespace="Test")["metricFilters"]) == 1
    logs.delete_metric_filter(logGroupName="g", filterName="a-filter")
    with pytest.raises(ClientError) as excinfo:
        logs.delete_metric_filter(logGroupName="g", filterName="a-filter")
    assert error(excinfo) == ("ResourceNotFoundException", "The specified metric filter does not exist.")


def test_transformation_rules(logs):
    """Dimensions need fields and exclude a default value; patterns that cannot parse are refused."""
    with pytest.raises(ClientError) as excinfo:
        counter(logs, "f", "{ $.a = 1 }", defaultValue=0, dimensions={"A": "$.a"})
    assert error(excinfo) == ("InvalidParameterException", "Invalid metric transformation: dimensions and default "
                                                           "value are mutually exclusive properties")
    with pytest.raises(ClientError) as excinfo:
        counter(logs, "f", "ERROR", dimensions={"A": "$.a"})
    assert error(excinfo) == ("InvalidParameterException", "The specified filter pattern does not support dimensions")
    with pytest.raises(ClientError) as excinfo:
        counter(logs, "f", "{ $.a = ")
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        counter(logs, "f", "{ $.a = 1 }", dimensions={"A": "$.a", "B": "$.b", "C": "$.c", "D": "$.d"})
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        logs.put_metric_filter(logGroupName="missing", filterName="f", filterPattern="x", metricTransformations=[
            {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}])
    assert error(excinfo) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_regex_quota_per_group(logs):
    """At most two regexes in one pattern and five across a group's metric filters (LAPI:PutMetricFilter)."""
    for i in range(5):
        counter(logs, f"r{i}", f"%ERROR{i}%")
    with pytest.raises(ClientError) as excinfo:
        counter(logs, "r5", "%ERROR5%")
    assert error(excinfo)[0] == "LimitExceededException"
    counter(logs, "r0", "%WARN%")  # replacing a filter keeps the count


def test_test_metric_filter_returns_matches_with_extracted_values(logs):
    """TestMetricFilter with the space-delimited Apache example: matched events and their extracted fields."""
    messages = [APACHE.format(status=200, size=1534), APACHE.format(status=500, size=5324), "not apache"]
    result = logs.test_metric_filter(filterPattern="[ip, identity, user_id, timestamp, request, status_code, size]",
                                     logEventMessages=messages)
    assert [m["eventNumber"] for m in result["matches"]] == [1, 2]
    assert result["matches"][0]["extractedValues"] == {
        "$ip": "127.0.0.1", "$identity": "-", "$user_id": "frank", "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /apache_pb.gif HTTP/1.0", "$status_code": "200", "$size": "1534"}
    result = logs.test_metric_filter(filterPattern='{ $.eventType = "UpdateTrail" }',
                                     logEventMessages=['{"eventType": "UpdateTrail"}', '{"eventType": "Other"}'])
    assert result["matches"] == [{"eventNumber": 1, "eventMessage": '{"eventType": "UpdateTrail"}',
                                  "extractedValues": {"$.eventType": "UpdateTrail"}}]
    with pytest.raises(ClientError) as excinfo:
        logs.test_metric_filter(filterPattern="{ $.a = }", logEventMessages=["x"])
    assert error(excinfo) == ("InvalidParameterException", "Invalid metric filter pattern")
    with pytest.raises(ClientError) as excinfo:
        logs.test_metric_filter(filterPattern="x", logEventMessages=["x"] * 51)
    assert error(excinfo)[0] == "InvalidParameterException"


# ------------------------------------------------------------------------------------------------ CloudTrail
CIS = {
    "ConsoleSigninWithoutMFA": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
    "ConsoleSigninFailures": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    "RootAccountUsage": ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
                         '$.eventType != "AwsServiceEvent" }'),
    "UnauthorizedAPICalls": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
}


def _cis_filters(logs, group: str) -> None:
    for name, pattern in CIS.items():
        logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern=pattern, metricTransformations=[
            {"metricName": name, "metricNamespace": "CISBenchmark", "metricValue": "1"}])


def _real_console_login() -> dict:
    """A real ConsoleLogin record without MFA (Stratus Red Team detonation, datasets/ in this repository)."""
    path = REPO / "datasets/datadog_stratus-red-team_detonation-logs/detonation-logs/aws.initial-access.console-login-without-mfa.json"
    return json.loads(path.read_text())[0]


def test_cis_filters_count_cloudtrail_events_delivered_on_the_hub(lab):
    """A trail's delivery ("log_events" on the hub) lands in the group; the CIS filters publish datapoints.

    The failed sign-in is the real record with what a failure changes, per the CloudTrail page on console
    sign-in events: responseElements.ConsoleLogin "Failure" and errorMessage "Failed authentication".
    """
    logs = lab.client("logs")
    logs.create_log_group(logGroupName="CloudTrail/DefaultLogGroup")
    _cis_filters(logs, "CloudTrail/DefaultLogGroup")
    without_mfa = _real_console_login()
    failed = json.loads(json.dumps(without_mfa))
    failed["responseElements"]["ConsoleLogin"] = "Failure"
    failed["errorMessage"] = "Failed authentication"
    failed["additionalEventData"]["MFAUsed"] = "Yes"
    root = {"eventVersion": "1.08", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"},
            "eventName": "ListBuckets", "eventType": "AwsApiCall", "errorCode": "AccessDenied"}
    now_ms = START_MS
    lab.hub.publish("log_events", {
        "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/DefaultLogGroup:*",
        "log_stream": "123456789012_CloudTrail_us-east-1",
        "events": [{"timestamp": now_ms - 3000 + i, "message": json.dumps(r)} for i, r in enumerate([without_mfa, failed, root])],
        "region": "us-east-1", "account_id": "123456789012", "time": lab.now, "source": "cloudtrail.amazonaws.com"})
    counts = dict(lab.sql("SELECT metric_name, sum(value) FROM cloudwatch_datapoints WHERE namespace = 'CISBenchmark' "
                          "GROUP BY 1").fetchall())
    assert counts == {"ConsoleSigninWithoutMFA": 1.0, "ConsoleSigninFailures": 1.0, "RootAccountUsage": 1.0,
                      "UnauthorizedAPICalls": 1.0}
    streams = logs.describe_log_streams(logGroupName="CloudTrail/DefaultLogGroup")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["123456789012_CloudTrail_us-east-1"]


def test_delivery_to_a_missing_group_is_dropped(lab):
    failures = []
    lab.hub.subscribe("log_delivery_failed", failures.append)
    lab.hub.publish("log_events", {
        "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:nowhere:*", "log_stream": "s",
        "events": [{"timestamp": START_MS, "message": "{}"}], "region": "us-east-1", "account_id": "123456789012",
        "time": lab.now, "source": "cloudtrail.amazonaws.com"})
    assert lab.sql("SELECT count(*) FROM logs_events").fetchall()[0][0] == 0
    assert lab.sql("SELECT count(*) FROM logs_streams").fetchall()[0][0] == 0
    assert failures and failures[0]["log_group_arn"].endswith("nowhere:*")


def test_console_login_failure_end_to_end_through_a_trail(lab):
    """Sign-in failure -> CloudTrail -> trail delivery to the log group -> CIS 3.6 filter -> alarm-ready metric."""
    from awslab import cloudtrail

    s3 = lab.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps(
        cloudtrail.bucket_policy("trail-bucket", lab.account_id, "us-east-1", "main")))
    logs = lab.client("logs")
    logs.create_log_group(logGroupName="trail")
    _cis_filters(logs, "trail")
    ct = lab.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-bucket", IsMultiRegionTrail=True,
                    CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
                    CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/CloudTrail_CloudWatchLogs_Role")
    ct.start_logging(Name="main")
    lab.client("iam").create_user(UserName="alice")
    lab.service_for("iam").console_login("alice", success=False)
    lab.advance(minutes=10)
    counts = dict(lab.sql("SELECT metric_name, sum(value) FROM cloudwatch_datapoints WHERE namespace = 'CISBenchmark' "
                          "GROUP BY 1").fetchall())
    assert counts.get("ConsoleSigninFailures") == 1.0
    messages = [json.loads(m)["eventName"] for (m,) in lab.sql("SELECT message FROM logs_events").fetchall()]
    assert "ConsoleLogin" in messages and "CreateUser" in messages
