"""A small, readable evaluator for policy statements: who may do what to which resource.

The lab does not enforce identity policies on learners (every lab principal may call every
API); it evaluates policies where AWS's answer depends on a *resource* policy:

* a role's trust policy decides who may ``sts:AssumeRole`` it;
* a bucket policy must grant AWS service principals (``cloudtrail.amazonaws.com``,
  ``config.amazonaws.com``) the access they use, and its explicit ``Deny`` statements apply
  to everyone.

Rules follow "Policy evaluation logic" and the element reference:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

An explicit Deny wins; otherwise an Allow grants; otherwise the answer is "no decision"
(implicitly denied). Condition operators supported: the String*, Arn*, Bool, Null and
Numeric* families, with ``IfExists`` and the ``ForAnyValue:``/``ForAllValues:`` set
qualifiers. An operator the lab does not know never matches (documented simplification).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["Allow", "Deny"] | None


@dataclass(frozen=True)
class Caller:
    """The principal a resource policy is checked against.

    ``kind`` is the CloudTrail identity type (``Root``, ``IAMUser``, ``AssumedRole``,
    ``AWSService``); ``arn`` the caller's ARN (for a role session, the session ARN);
    ``role_arn`` the role behind a session; ``service`` the service principal name.
    """

    kind: str
    account_id: str
    arn: str | None = None
    role_arn: str | None = None
    service: str | None = None


class AnyArnInAccount:
    """A context value standing for "some ARN of this account, the lab cannot say which".

    When an AWS service acts on a bucket, AWS passes ``aws:SourceArn`` (the trail, the Config
    recorder). The lab's service clients do not carry it, so a condition on that key matches
    any value naming the lab's account (documented simplification).
    """

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def matches(self, pattern: str) -> bool:
        fields = pattern.split(":")
        return len(fields) >= 5 and fields[4] in (self.account_id, "*", "")


@dataclass
class RequestContext:
    """What the statement is checked against: the action, the resource ARN and condition keys."""

    action: str
    resource: str
    caller: Caller
    keys: dict[str, list[Any]] = field(default_factory=dict)

    def values(self, key: str) -> list[Any] | None:
        # condition key names are case-insensitive
        for name, values in self.keys.items():
            if name.lower() == key.lower():
                return values
        return None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's ``*`` (any run) and ``?`` (one character) wildcards."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None


def _principal_matches(element: Any, caller: Caller) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    for kind, values in element.items():
        for value in as_list(values):
            if not isinstance(value, str):
                continue
            if kind == "AWS":
                if value == "*" or _aws_principal_matches(value, caller):
                    return True
            elif kind == "Service" and caller.kind == "AWSService" and value == caller.service:
                return True
    return False


def _aws_principal_matches(value: str, caller: Caller) -> bool:
    if caller.kind == "AWSService":
        return False
    # An account (id or :root ARN) delegates to every principal of that account.
    if value == caller.account_id or value == f"arn:aws:iam::{caller.account_id}:root":
        return True
    return value in (caller.arn, caller.role_arn)


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(wildcard_match(a, action, case_sensitive=False) for a in as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(wildcard_match(a, action, case_sensitive=False) for a in as_list(statement["NotAction"]))
    return False


def _resource_matches(statement: dict[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(wildcard_match(r, resource) for r in as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(wildcard_match(r, resource) for r in as_list(statement["NotResource"]))
    return True  # trust policies name no resource: the role itself is the resource


def _compare(base: str, expected: Any, actual: Any) -> bool:
    """One operator on one (policy value, request value) pair."""
    if isinstance(actual, AnyArnInAccount):
        return base in ("StringEquals", "StringLike", "ArnEquals", "ArnLike") and actual.matches(str(expected))
    text, wanted = str(actual), str(expected)
    if base in ("StringEquals", "ArnEquals"):
        return text == wanted
    if base == "StringEqualsIgnoreCase":
        return text.lower() == wanted.lower()
    if base in ("StringLike", "ArnLike"):
        return wildcard_match(wanted, text)
    if base == "Bool":
        return text.lower() == wanted.lower()
    if base.startswith("Numeric"):
        try:
            left, right = float(text), float(wanted)
        except ValueError:
            return False
        return {"NumericEquals": left == right, "NumericLessThan": left < right,
                "NumericLessThanEquals": left <= right, "NumericGreaterThan": left > right,
                "NumericGreaterThanEquals": left >= right}.get(base, False)
    return False


_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
            "NumericNotEquals": "NumericEquals"}
_KNOWN = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool",
          "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
          "NumericGreaterThanEquals"}


def _condition_holds(operator: str, key: str, expected: Any, context: RequestContext) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    actual = context.values(key)
    wanted = as_list(expected)
    if name == "Null":
        # "true" means the key must be absent
        return any(str(w).lower() == ("true" if actual is None else "false") for w in wanted)
    if actual is None:
        # a missing key fails every operator except the negated ones, and ...IfExists passes
        return if_exists or (name in _NEGATED and qualifier != "ForAnyValue")
    negated = name in _NEGATED
    base = _NEGATED.get(name, name)
    if base not in _KNOWN:
        return False

    def one(value: Any) -> bool:
        return any(_compare(base, w, value) for w in wanted)

    if qualifier == "ForAllValues":
        matched = all(one(v) for v in actual)
    else:
        matched = any(one(v) for v in actual)
    return not matched if negated else matched


def _conditions_hold(statement: dict[str, Any], context: RequestContext) -> bool:
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        return False
    for operator, pairs in condition.items():
        if not isinstance(pairs, dict):
            return False
        for key, expected in pairs.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def statement_applies(statement: dict[str, Any], context: RequestContext, *, resource_policy: bool) -> bool:
    """Whether one statement covers the request (principal, action, resource and conditions)."""
    if resource_policy:
        if "Principal" in statement:
            if not _principal_matches(statement["Principal"], context.caller):
                return False
        elif "NotPrincipal" in statement:
            if _principal_matches(statement["NotPrincipal"], context.caller):
                return False
        else:
            return False
    return (_action_matches(statement, context.action) and _resource_matches(statement, context.resource)
            and _conditions_hold(statement, context))


def evaluate(document: dict[str, Any] | None, context: RequestContext, *, resource_policy: bool = True) -> Decision:
    """``"Deny"`` if a statement explicitly denies, else ``"Allow"`` if one allows, else None."""
    if not document:
        return None
    decision: Decision = None
    for statement in as_list(document.get("Statement", [])):
        if not isinstance(statement, dict) or not statement_applies(statement, context, resource_policy=resource_policy):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            decision = "Allow"
    return decision


# Keys whose fixed values make a statement non-public (S3 "The meaning of public").
_RESTRICTING_KEYS = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc",
                     "aws:sourcevpce", "aws:principalorgid", "aws:principalaccount", "aws:principalarn",
                     "aws:userid", "aws:sourceip", "s3:dataaccesspointarn", "s3:dataaccesspointaccount"}


def grants_public_access(document: dict[str, Any] | None) -> bool:
    """Whether a bucket policy is "public" in S3's sense.

    A policy is public when an Allow statement's principal is ``*`` (or ``{"AWS": "*"}``) and
    no condition pins one of the restricting keys to a fixed value.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
    """
    if not document:
        return False
    for statement in as_list(document.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        wildcard = principal == "*" or (isinstance(principal, dict)
                                        and "*" in as_list(principal.get("AWS", [])))
        if not wildcard:
            continue
        restricted = False
        for operator, pairs in (statement.get("Condition") or {}).items():
            if not isinstance(pairs, dict) or operator.startswith(("StringNot", "ArnNot", "Null")):
                continue
            for key, values in pairs.items():
                if key.lower() in _RESTRICTING_KEYS and not any("*" in str(v) for v in as_list(values)):
                    restricted = True
        if not restricted:
            return True
    return False
