"""Anomaly detection through the API: detectors, ANOMALY_DETECTION_BAND in GetMetricData, alarms on
the band.

Pages: UG:CloudWatch_Anomaly_Detection ("a larger value ... a thicker band"), API:PutAnomalyDetector,
API:DescribeAnomalyDetectors, UG:Create_Anomaly_Detection_Alarm, UG:cloudwatch-and-eventbridge (the
anomaly alarm's "Thresholds Crossed: ... was less than the lower thresholds [...] or greater than the
upper thresholds [...]" and recentLowerThresholds/recentUpperThresholds). The describe shape is the
one recorded from AWS in LocalStack's snapshot test_anomaly_detector_lifecycle. The model is
documented in docs/anomaly-model.md.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import botocore.exceptions
import numpy as np
import pytest

from awslab import Lab

START = datetime(2026, 2, 1, tzinfo=timezone.utc)
METRIC = {"Namespace": "Shop", "MetricName": "Requests", "Dimensions": [{"Name": "Store", "Value": "Lyon"}]}


def seasonal(when: datetime) -> float:
    """A daily cycle: 100 at night, 300 in the afternoon, with a little deterministic noise."""
    hour = when.hour + when.minute / 60
    return 200 + 100 * math.sin((hour - 8) / 24 * 2 * math.pi) + 5 * math.sin(when.minute * 1.7)


@pytest.fixture(scope="module")
def trained():
    """A lab with two weeks of 5-minute history of a seasonal metric."""
    lab = Lab(start=START)
    cw = lab.client("cloudwatch")
    stamps = [START - timedelta(days=14) + timedelta(minutes=5 * i) for i in range(1, 14 * 288 + 1)]
    for first in range(0, len(stamps), 1000):
        cw.put_metric_data(Namespace="Shop", MetricData=[
            {"MetricName": "Requests", "Dimensions": METRIC["Dimensions"], "Value": seasonal(t), "Timestamp": t}
            for t in stamps[first:first + 1000]])
    yield lab, cw
    lab.close()


def band(cw, lab, stddevs, hours=6):
    response = cw.get_metric_data(StartTime=lab.now - timedelta(hours=hours), EndTime=lab.now, ScanBy="TimestampAscending",
                                  MetricDataQueries=[
                                      {"Id": "m1", "MetricStat": {"Metric": METRIC, "Period": 300, "Stat": "Average"}},
                                      {"Id": "ad1", "Expression": f"ANOMALY_DETECTION_BAND(m1, {stddevs})"}])
    results = {(r["Id"], i): r for i, r in enumerate(response["MetricDataResults"])}
    values = [r for (key, _), r in results.items() if key == "m1"][0]
    bounds = [np.array(r["Values"]) for (key, _), r in results.items() if key == "ad1"]
    return np.array(values["Values"]), np.minimum(*bounds), np.maximum(*bounds)


def test_band_widens_with_the_stddev_argument(trained):
    """UG:CloudWatch_Anomaly_Detection: the band's width grows with the number of standard deviations."""
    lab, cw = trained
    values, low2, high2 = band(cw, lab, 2)
    _, low4, high4 = band(cw, lab, 4)
    assert len(values) == 72
    assert np.all(high4 - low4 > high2 - low2)
    assert np.all((values >= low2) & (values <= high2))  # the seasonal history stays in its band


def test_injected_anomalies_leave_the_band_and_alarm(trained):
    """An alarm on ANOMALY_DETECTION_BAND(m1, 2) (UG:Create_Anomaly_Detection_Alarm) stays OK on normal
    data and goes to ALARM on an injected spike, with AWS's band reason and reason data."""
    lab, cw = trained
    cw.put_metric_alarm(AlarmName="requests-anomaly", EvaluationPeriods=1, DatapointsToAlarm=1,
                        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold", ThresholdMetricId="ad1",
                        TreatMissingData="ignore", Metrics=[
                            {"Id": "m1", "MetricStat": {"Metric": METRIC, "Period": 300, "Stat": "Average"},
                             "ReturnData": True},
                            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "Requests (expected)",
                             "ReturnData": True}])
    for _ in range(2):
        lab.advance(minutes=5)
        cw.put_metric_data(Namespace="Shop", MetricData=[
            {"MetricName": "Requests", "Dimensions": METRIC["Dimensions"], "Value": seasonal(lab.now - timedelta(minutes=5)),
             "Timestamp": lab.now - timedelta(minutes=5)}])
    lab.advance(minutes=5)
    alarm = cw.describe_alarms(AlarmNames=["requests-anomaly"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK"
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Requests", "Dimensions": METRIC["Dimensions"], "Value": 5000.0, "Timestamp": lab.now}])
    lab.advance(minutes=5)
    alarm = cw.describe_alarms(AlarmNames=["requests-anomaly"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Thresholds Crossed: 1 out of the last 1 datapoints [5000.0 (")
    assert "was less than the lower thresholds [" in alarm["StateReason"]
    data = json.loads(alarm["StateReasonData"])
    assert data["recentDatapoints"] == [5000.0] and "threshold" not in data
    assert data["recentLowerThresholds"][0] < data["recentUpperThresholds"][0] < 5000.0
    detectors = cw.describe_anomaly_detectors(Namespace="Shop")["AnomalyDetectors"]
    assert [(d["MetricName"], d["Stat"]) for d in detectors] == [("Requests", "Average")]  # created by the alarm


def test_detector_lifecycle(trained):
    """test_anomaly_detector_lifecycle (AWS-recorded shape); StateValue TRAINED with two weeks of data,
    PENDING_TRAINING without any."""
    lab, cw = trained
    cw.put_anomaly_detector(SingleMetricAnomalyDetector={**METRIC, "Stat": "Sum"})
    cw.put_anomaly_detector(Namespace="Shop", MetricName="Nothing", Stat="Sum",
                            Configuration={"ExcludedTimeRanges": [{"StartTime": START - timedelta(days=2),
                                                                   "EndTime": START - timedelta(days=1)}],
                                           "MetricTimezone": "Europe/Paris"})
    found = {d["MetricName"] + d["Stat"]: d for d in cw.describe_anomaly_detectors(Namespace="Shop")["AnomalyDetectors"]}
    lyon = found["RequestsSum"]
    assert lyon["StateValue"] == "TRAINED"
    assert lyon["Configuration"] == {"ExcludedTimeRanges": []}
    assert lyon["SingleMetricAnomalyDetector"] == {**METRIC, "Stat": "Sum"}
    nothing = found["NothingSum"]
    assert nothing["StateValue"] == "PENDING_TRAINING"
    assert nothing["Configuration"]["MetricTimezone"] == "Europe/Paris"
    assert nothing["Configuration"]["ExcludedTimeRanges"][0]["EndTime"] == START - timedelta(days=1)
    cw.delete_anomaly_detector(Namespace="Shop", MetricName="Nothing", Stat="Sum")
    cw.delete_anomaly_detector(AnomalyDetectorId=lyon["AnomalyDetectorId"])
    assert {d["MetricName"] for d in cw.describe_anomaly_detectors(Namespace="Shop")["AnomalyDetectors"]} == {"Requests"}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cw.delete_anomaly_detector(Namespace="Shop", MetricName="Nothing", Stat="Sum")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("params, code", [
    (dict(Namespace="Shop", MetricName="X", Stat="Median"), "InvalidParameterValueException"),
    (dict(Namespace="Shop", MetricName="X", Stat="Sum",
          SingleMetricAnomalyDetector={"Namespace": "Shop", "MetricName": "X", "Stat": "Sum"}),
     "InvalidParameterCombinationException"),
    (dict(Namespace="Shop", MetricName="X", Stat="Sum", Configuration={"MetricTimezone": "Mars/Olympus"}),
     "InvalidParameterValueException"),
])
def test_put_anomaly_detector_errors(params, code):
    lab = Lab(start=START)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("cloudwatch").put_anomaly_detector(**params)
    assert raised.value.response["Error"]["Code"] == code
