"""Lambda functions whose code is a Python callable.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
"""

from __future__ import annotations

import json

import botocore.exceptions
import pytest


def test_create_and_invoke_synchronously(lab):
    seen = []

    def handler(event, context):
        seen.append((event, context.function_name))
        return {"doubled": event["n"] * 2}

    arn = lab.create_function("double", handler)
    assert arn == "arn:aws:lambda:us-east-1:123456789012:function:double"
    response = lab.client("lambda").invoke(FunctionName="double", Payload=json.dumps({"n": 21}))
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"doubled": 42}
    assert seen == [({"n": 21}, "double")]


def test_event_invocation_and_data_events(lab):
    calls = []
    lab.create_function("collect", lambda event, context: calls.append(event))
    assert lab.client("lambda").invoke(FunctionName="collect", InvocationType="Event", Payload=b'{"a": 1}')["StatusCode"] == 202
    assert calls == [{"a": 1}]
    rows = lab.sql("select event_category from cloudtrail_events where event_name = 'Invoke'").fetchall()
    assert rows == [("Data",), ("Data",)] or rows == [("Data",)]


def test_function_errors_are_reported_as_lambda_does(lab):
    def broken(event, context):
        raise KeyError("missing")

    lab.create_function("broken", broken)
    response = lab.client("lambda").invoke(FunctionName="broken")
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "KeyError" and "missing" in payload["errorMessage"]


def test_the_callable_runs_as_the_function_role(lab):
    lab.client("iam").create_role(RoleName="reporter-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    lab.create_function("reporter", lambda e, c: lab.client("cloudwatch").list_metrics() and None,
                        role="arn:aws:iam::123456789012:role/reporter-role")
    lab.client("lambda").invoke(FunctionName="reporter")
    actors = [r[0] for r in lab.sql("select actor from cloudtrail_events where event_name = 'ListMetrics'").fetchall()]
    assert actors == ["reporter-role/reporter"]


def test_errors(lab):
    lab.create_function("dup", lambda e, c: None)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.create_function("dup", lambda e, c: None)
    assert raised.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("lambda").invoke(FunctionName="nope")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
