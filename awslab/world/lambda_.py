"""Lambda: functions whose code is a Python callable, invoked synchronously or as events.

https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html

The stand-in for code: ``lab.create_function(name, handler)`` (``define_function`` here) creates the function through the
real CreateFunction API (with a tiny placeholder package) and binds the callable to it; a
function created by plain boto3 has no Python to run until ``lab.bind_function(name, handler)``.
Callables run in-process, inside the invoking call, as the function's execution role
(``AssumedRole`` role/function-name in CloudTrail). Callables live in memory: a lab reopened
from a file must bind them again. Invocations are CloudTrail data events.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import traceback
import zipfile
from typing import Any, Callable

from botocore.response import StreamingBody

from ..errors import AWSError
from ..gateway import Call
from ..service import Service

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS lambda_functions (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, arn VARCHAR PRIMARY KEY,
        runtime VARCHAR, role VARCHAR NOT NULL, handler VARCHAR, code_sha256 VARCHAR NOT NULL, code_size BIGINT NOT NULL,
        description VARCHAR, timeout INTEGER NOT NULL, memory_size INTEGER NOT NULL, environment JSON,
        last_modified TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS lambda_invocations (
        function_arn VARCHAR NOT NULL, time TIMESTAMPTZ NOT NULL, invocation_type VARCHAR NOT NULL,
        request_id VARCHAR NOT NULL, payload VARCHAR, result VARCHAR, error VARCHAR)""",
]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def placeholder_package(name: str) -> bytes:
    """The zip CreateFunction receives when the code is a Python callable held by the lab."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("lambda_function.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, f"# awslab: the code of {name} is a Python callable bound in the lab\n")
    return buffer.getvalue()


class Context:
    """The context object a Python handler receives, as Lambda's Python runtime gives it."""

    def __init__(self, name: str, arn: str, request_id: str, memory: int, timeout: int) -> None:
        self.function_name, self.invoked_function_arn, self.aws_request_id = name, arn, request_id
        self.memory_limit_in_mb, self.function_version = memory, "$LATEST"
        self.log_group_name = f"/aws/lambda/{name}"
        self._timeout_ms = timeout * 1000

    def get_remaining_time_in_millis(self) -> int:
        return self._timeout_ms  # the lab's clock does not move during an invocation


class LambdaService(Service):
    answers = ("lambda",)
    data_events = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"})

    def setup(self) -> None:
        for statement in SCHEMA:
            self.lab.db.execute(statement)
        self.callables: dict[str, Callable[[Any, Any], Any]] = {}

    def tables(self) -> dict[str, str]:
        return {"lambda_functions": "one row per Lambda function (its code is a Python callable bound in the lab)",
                "lambda_invocations": "every invocation: type, payload, result or error"}

    # ------------------------------------------------------------------ lab-level
    def define_function(self, name: str, handler: Callable[[Any, Any], Any], *, role: str | None = None,
                        region: str | None = None, **settings: Any) -> str:
        """Create a function through the API and bind ``handler`` to it; returns its ARN.

        Without ``role``, an execution role ``lambda-<name>`` that Lambda may assume is created
        first, as the console's "create a new role with basic Lambda permissions" does."""
        if role is None:
            role = self._execution_role(f"lambda-{name}")
        arn = self.lab.client("lambda", region_name=region).create_function(
            FunctionName=name, Runtime=settings.pop("Runtime", "python3.12"), Role=role,
            Handler=settings.pop("Handler", "lambda_function.handler"),
            Code={"ZipFile": placeholder_package(name)}, **settings)["FunctionArn"]
        self.callables[arn] = handler
        return arn

    def _execution_role(self, role_name: str) -> str:
        iam = self.lab.client("iam")
        try:
            return iam.get_role(RoleName=role_name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            return iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]

    def bind_function(self, name_or_arn: str, handler: Callable[[Any, Any], Any], region: str | None = None) -> None:
        arn = self._arn(name_or_arn, region or self.lab.region)
        self.callables[arn] = handler

    # ------------------------------------------------------------------ API
    def _arn(self, name_or_arn: str, region: str) -> str:
        if name_or_arn.startswith("arn:"):
            return ":".join(name_or_arn.split(":")[:7])
        return f"arn:aws:lambda:{region}:{self.lab.account_id}:function:{name_or_arn}"

    def _function(self, call: Call, name_or_arn: str) -> dict[str, Any]:
        arn = self._arn(name_or_arn, call.region)
        cursor = call.db.execute("SELECT * FROM lambda_functions WHERE arn = ?", [arn])
        row = cursor.fetchone()
        if row is None:
            raise AWSError("ResourceNotFoundException", f"Function not found: {arn}", 404)
        return dict(zip([c[0] for c in cursor.description], row))

    @staticmethod
    def _configuration(f: dict[str, Any]) -> dict[str, Any]:
        shown = {"FunctionName": f["name"], "FunctionArn": f["arn"], "Role": f["role"], "CodeSize": f["code_size"],
                 "Timeout": f["timeout"], "MemorySize": f["memory_size"], "CodeSha256": f["code_sha256"],
                 "LastModified": f["last_modified"].strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "Version": "$LATEST",
                 "State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Zip",
                 "Architectures": ["x86_64"], "Description": f["description"] or ""}
        if f["runtime"]:
            shown["Runtime"] = f["runtime"]
        if f["handler"]:
            shown["Handler"] = f["handler"]
        if f["environment"]:
            shown["Environment"] = {"Variables": json.loads(f["environment"])}
        return shown

    def create_function(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["FunctionName"]
        if not _NAME.match(name):
            raise AWSError("ValidationException", f"1 validation error detected: Value '{name}' at 'functionName' "
                           "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                           "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
                           "([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
        arn = self._arn(name, call.region)
        if call.db.execute("SELECT 1 FROM lambda_functions WHERE arn = ?", [arn]).fetchone():
            raise AWSError("ResourceConflictException", f"Function already exist: {name}", 409)
        package = params["Code"].get("ZipFile") or b""
        call.db.execute("INSERT INTO lambda_functions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [call.region, call.account_id, name, arn, params.get("Runtime"), params["Role"],
                         params.get("Handler"), base64.b64encode(hashlib.sha256(package).digest()).decode(),
                         len(package), params.get("Description"), params.get("Timeout", 3),
                         params.get("MemorySize", 128),
                         json.dumps((params.get("Environment") or {}).get("Variables")) if params.get("Environment") else None,
                         call.time])
        return self._configuration(self._function(call, arn))

    def get_function(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"Configuration": self._configuration(self._function(call, params["FunctionName"])),
                "Code": {"RepositoryType": "S3", "Location": "https://awslab.invalid/code"}}

    def get_function_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._configuration(self._function(call, params["FunctionName"]))

    def list_functions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        cursor = call.db.execute("SELECT * FROM lambda_functions WHERE region = ? AND account_id = ? ORDER BY name",
                                 [call.region, call.account_id])
        names = [c[0] for c in cursor.description]
        return {"Functions": [self._configuration(dict(zip(names, row))) for row in cursor.fetchall()]}

    def delete_function(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        function = self._function(call, params["FunctionName"])
        call.db.execute("DELETE FROM lambda_functions WHERE arn = ?", [function["arn"]])
        self.callables.pop(function["arn"], None)
        return {}

    def invoke(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        function = self._function(call, params["FunctionName"])
        kind = params.get("InvocationType", "RequestResponse")
        raw = params.get("Payload") or b"{}"
        raw = raw.read() if hasattr(raw, "read") else raw
        text = raw.decode() if isinstance(raw, (bytes, bytearray)) else str(raw)
        try:
            event = json.loads(text)
        except ValueError:
            raise AWSError("InvalidRequestContentException", "Could not parse request body into json", 400) from None
        if kind == "DryRun":
            return {"StatusCode": 204}
        result, error = self._run(function, event, call)
        call.db.execute("INSERT INTO lambda_invocations VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [function["arn"], call.time, kind, call.request_id, text, result,
                         None if error is None else json.dumps(error)])
        if kind == "Event":
            return {"StatusCode": 202, "Payload": StreamingBody(io.BytesIO(b""), 0)}
        body = (json.dumps(error) if error else result or "null").encode()
        response: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST",
                                    "Payload": StreamingBody(io.BytesIO(body), len(body))}
        if error:
            response["FunctionError"] = "Unhandled"
        return response

    def _run(self, function: dict[str, Any], event: Any, call: Call) -> tuple[str | None, dict[str, Any] | None]:
        """Run the bound callable as the function's role; returns (JSON result, error payload)."""
        handler = self.callables.get(function["arn"])
        if handler is None:
            return None, {"errorMessage": f"awslab: no Python callable is bound to {function['name']}; "
                                          "use lab.create_function(name, handler) or lab.bind_function(...)",
                          "errorType": "Runtime.HandlerNotFound", "stackTrace": []}
        role = function["role"].rsplit("/", 1)[-1]
        context = Context(function["name"], function["arn"], call.request_id, function["memory_size"],
                          function["timeout"])
        try:
            with self.lab.as_principal(f"role/{role}/{function['name']}"):
                try:
                    return json.dumps(handler(event, context), default=str), None
                except Exception as exc:  # noqa: BLE001 - a function's error is data, as Lambda reports it
                    return None, {"errorMessage": str(exc), "errorType": type(exc).__name__,
                                  "stackTrace": traceback.format_tb(exc.__traceback__)[-3:]}
        except LookupError:
            return None, {"errorMessage": "The role defined for the function cannot be assumed by Lambda.",
                          "errorType": "InvalidParameterValueException", "stackTrace": []}
