"""The lab's own cost per boto3 call, as a ratio to botocore's own cost for the same call.

Baseline: the same boto3 client whose ``before-call`` hook returns a canned answer, so it pays
for botocore's work (parameter validation, serialisation, hooks, response handling) and nothing
else. The lab's client pays for that plus the lab: handler, transaction, CloudTrail record.

    .venv/bin/python benchmarks/gateway_call.py [--calls N]
"""

from __future__ import annotations

import argparse
import time

import boto3
from botocore.awsrequest import AWSResponse

from awslab import Lab

PARAMS = {"Namespace": "Bench", "MetricData": [{"MetricName": "Latency", "Value": 12.5, "Unit": "Milliseconds",
                                                 "Dimensions": [{"Name": "Service", "Value": "api"}]}]}


def canned_client():
    client = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="x")
    canned = (AWSResponse("https://x", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}})
    client.meta.events.register_first("before-call", lambda **kw: canned)
    return client


def per_call(client, calls: int) -> float:
    client.put_metric_data(**PARAMS)  # warm caches
    start = time.perf_counter()
    for _ in range(calls):
        client.put_metric_data(**PARAMS)
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    baseline = per_call(canned_client(), calls)
    lab = Lab()
    lab_time = per_call(lab.client("cloudwatch"), calls)
    print(f"botocore alone: {baseline * 1e3:.3f} ms/call; lab: {lab_time * 1e3:.3f} ms/call; "
          f"ratio lab/botocore = {lab_time / baseline:.1f}x over {calls} PutMetricData calls")


if __name__ == "__main__":
    main()
