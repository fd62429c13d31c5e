"""Policy documents: the JSON grammar IAM and S3 accept, and the errors they give for the rest.

Three kinds of document are checked, each with its own error code:

* identity policies (managed and inline; IAM ``MalformedPolicyDocument``), which must name
  actions and resources and no principal;
* trust policies (a role's assume-role policy; IAM ``MalformedPolicyDocument``), which must
  name a principal and no resource;
* bucket policies (S3 ``MalformedPolicy``), which must name principal, action and resource,
  with every action an ``s3:`` action and every resource inside the bucket.

Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
Quotas (6,144 characters for a managed policy, 2,048 for a trust policy):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
Bucket policy rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html

Messages are those IAM and S3 return; where AWS does not document the text, the lab uses the
text AWS was observed to return (e.g. "Syntax errors in policy.").
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Literal

from ..errors import AWSError
from .iam_evaluation import as_list, wildcard_match

Kind = Literal["managed", "inline", "trust", "bucket"]

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                   "NotPrincipal", "Condition"}
_ACTION = re.compile(r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]*)$")
MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048


def _malformed(kind: Kind, message: str) -> AWSError:
    if kind == "bucket":
        return AWSError("MalformedPolicy", message, 400)
    return AWSError("MalformedPolicyDocument", message, 400)


def policy_size(text: str) -> int:
    """IAM counts policy size without white space."""
    return len(re.sub(r"\s", "", text))


def parse_policy(text: str, kind: Kind, *, bucket: str | None = None,
                 principal_exists: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """Parse and validate a policy document; raise AWS's error for one it would refuse.

    ``bucket`` names the bucket a bucket policy is for (its resources must lie in it);
    ``principal_exists(arn)`` lets trust and bucket policies refuse unknown users and roles.
    """
    if kind == "managed" and policy_size(text) > MANAGED_POLICY_SIZE:
        raise AWSError("LimitExceeded", f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}", 409)
    if kind == "trust" and policy_size(text) > TRUST_POLICY_SIZE:
        raise AWSError("LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}", 409)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise _malformed(kind, {
            "bucket": "Policies must be valid JSON and the first byte must be '{'",
            "managed": "This policy contains invalid Json",
        }.get(kind, "Syntax errors in policy."))
    if kind == "bucket":
        _check_bucket_policy(document, bucket or "", principal_exists)
    else:
        _check_iam_policy(document, kind, principal_exists)
    return document


def _statements(document: dict[str, Any], kind: Kind) -> list[dict[str, Any]]:
    statements = document.get("Statement")
    if statements is None:
        raise _malformed(kind, "Missing required field Statement" if kind == "bucket" else "Syntax errors in policy.")
    statements = as_list(statements)
    if not statements or not all(isinstance(s, dict) for s in statements):
        raise _malformed(kind, "Syntax errors in policy." if kind != "bucket" else "Invalid policy syntax.")
    return statements


def _check_iam_policy(document: dict[str, Any], kind: Kind, principal_exists) -> None:
    if set(document) - _TOP_KEYS:
        raise _malformed(kind, "Syntax errors in policy.")
    if "Version" in document and document["Version"] not in VERSIONS:
        raise _malformed(kind, "The policy failed legacy parsing")
    sids: set[str] = set()
    for statement in _statements(document, kind):
        if set(statement) - _STATEMENT_KEYS:
            raise _malformed(kind, "Syntax errors in policy.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise _malformed(kind, "Syntax errors in policy.")
        sid = statement.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                raise _malformed(kind, "Syntax errors in policy.")
            if sid in sids:
                raise _malformed(kind, "Statement IDs (SID) in a single policy must be unique.")
            sids.add(sid)
        if "Action" not in statement and "NotAction" not in statement:
            raise _malformed(kind, "Policy statement must contain actions.")
        _check_actions(statement, kind)
        if kind == "trust":
            if "Resource" in statement or "NotResource" in statement:
                raise _malformed(kind, "Has prohibited field Resource")
            if "Principal" not in statement and "NotPrincipal" not in statement:
                raise _malformed(kind, "Missing required field Principal")
            _check_principals(statement, kind, principal_exists)
        else:
            if "Principal" in statement or "NotPrincipal" in statement:
                raise _malformed(kind, "Policy document should not specify a principal.")
            if "Resource" not in statement and "NotResource" not in statement:
                raise _malformed(kind, "Policy statement must contain resources.")
            for resource in as_list(statement.get("Resource", statement.get("NotResource"))):
                if not isinstance(resource, str) or not (resource == "*" or _is_arn(resource)):
                    raise _malformed(kind, f'Resource {resource} must be in ARN format or "*".')
        _check_condition(statement, kind)


def _is_arn(text: str) -> bool:
    return text.startswith("arn:") and len(text.split(":", 5)) == 6


def _check_actions(statement: dict[str, Any], kind: Kind) -> None:
    actions = as_list(statement.get("Action", statement.get("NotAction")))
    if not actions:
        raise _malformed(kind, "Policy statement must contain actions." if kind != "bucket"
                         else "Missing required field Action")
    for action in actions:
        if not isinstance(action, str) or not _ACTION.match(action):
            if kind == "bucket":
                raise _malformed(kind, "Policy has invalid action")
            raise _malformed(kind, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
        if kind == "bucket" and action != "*" and not action.lower().startswith("s3:"):
            raise _malformed(kind, "Policy has invalid action")


def _check_condition(statement: dict[str, Any], kind: Kind) -> None:
    condition = statement.get("Condition")
    if condition is None:
        return
    if not isinstance(condition, dict) or not all(isinstance(v, dict) for v in condition.values()):
        raise _malformed(kind, "Syntax errors in policy." if kind != "bucket" else "Invalid Condition type")


def _check_principals(statement: dict[str, Any], kind: Kind, principal_exists) -> None:
    element = statement.get("Principal", statement.get("NotPrincipal"))
    if element == "*":
        return
    if not isinstance(element, dict) or not element:
        raise _malformed(kind, "Invalid principal in policy" if kind == "bucket" else "Syntax errors in policy.")
    for principal_type, values in element.items():
        if principal_type not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise _malformed(kind, "Invalid principal in policy" if kind == "bucket"
                             else f'Invalid principal in policy: "{principal_type}"')
        for value in as_list(values):
            if not isinstance(value, str) or not value:
                raise _malformed(kind, "Invalid principal in policy")
            if principal_type == "AWS" and not _known_aws_principal(value, principal_exists):
                if kind == "bucket":
                    raise _malformed(kind, "Invalid principal in policy")
                raise _malformed(kind, f'Invalid principal in policy: "AWS":"{value}"')


def _known_aws_principal(value: str, principal_exists) -> bool:
    if value == "*" or re.fullmatch(r"\d{12}", value):
        return True
    if not _is_arn(value):
        return False
    resource = value.split(":", 5)[5]
    if resource == "root":
        return True
    if principal_exists is not None and resource.startswith(("user/", "role/")):
        return principal_exists(value)
    return resource.startswith(("user/", "role/", "assumed-role/", "federated-user/"))


def _check_bucket_policy(document: dict[str, Any], bucket: str, principal_exists) -> None:
    if "Version" in document and document["Version"] not in VERSIONS:
        raise _malformed("bucket", "Invalid policy syntax.")
    for statement in _statements(document, "bucket"):
        if set(statement) - _STATEMENT_KEYS:
            raise _malformed("bucket", "Unknown field " + sorted(set(statement) - _STATEMENT_KEYS)[0])
        if "Effect" not in statement:
            raise _malformed("bucket", "Missing required field Effect")
        if statement["Effect"] not in ("Allow", "Deny"):
            raise _malformed("bucket", f"Invalid effect: {statement['Effect']}")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise _malformed("bucket", "Missing required field Principal")
        _check_principals(statement, "bucket", principal_exists)
        if "Action" not in statement and "NotAction" not in statement:
            raise _malformed("bucket", "Missing required field Action")
        _check_actions(statement, "bucket")
        if "Resource" not in statement and "NotResource" not in statement:
            raise _malformed("bucket", "Missing required field Resource")
        for resource in as_list(statement.get("Resource", statement.get("NotResource"))):
            if not isinstance(resource, str) or not _in_bucket(resource, bucket):
                raise _malformed("bucket", "Policy has invalid resource")
        _check_condition(statement, "bucket")


def _in_bucket(resource: str, bucket: str) -> bool:
    """A bucket policy may only name the bucket and its objects (wildcards allowed)."""
    if resource == "*":
        return True
    if not resource.startswith("arn:aws:s3:::"):
        return False
    name = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    return wildcard_match(name, bucket)
