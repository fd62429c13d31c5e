"""The policy grammar (parse_policy) and the statement evaluator, fuzzed and pinned to AWS's rules."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.errors import AWSError
from awslab.world.iam_documents import parse_policy
from awslab.world.iam_evaluation import (AnyArnInAccount, Caller, RequestContext, evaluate, grants_public_access,
                                         wildcard_match)

ACCOUNT = "123456789012"
ALICE = Caller("IAMUser", ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user/alice")
CLOUDTRAIL = Caller("AWSService", ACCOUNT, service="cloudtrail.amazonaws.com")
SESSION = Caller("AssumedRole", ACCOUNT, arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s",
                 role_arn=f"arn:aws:iam::{ACCOUNT}:role/Admin")

EXPECTED_CODES = {"managed": "MalformedPolicyDocument", "inline": "MalformedPolicyDocument",
                  "trust": "MalformedPolicyDocument", "bucket": "MalformedPolicy"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["Allow", "Deny", "*", "s3:GetObject", "arn:aws:s3:::b/*", "2012-10-17"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource", "Principal", "AWS",
                         "Service", "Condition", "StringEquals", "Sid", "Id", "x"]), children, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["managed", "inline", "trust", "bucket"]))
def test_any_json_gives_a_document_or_awss_error(value, kind):
    """Fuzz: arbitrary JSON is either accepted or refused with the kind's AWS error code."""
    try:
        document = parse_policy(json.dumps(value), kind, bucket="b", principal_exists=lambda arn: True)
    except AWSError as error:
        assert error.code in (EXPECTED_CODES[kind], "LimitExceeded") and error.status in (400, 409)
        return
    assert isinstance(document, dict)
    caller = ALICE
    assert evaluate(document, RequestContext("s3:GetObject", "arn:aws:s3:::b/k", caller, {})) in (None, "Allow",
                                                                                                   "Deny")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["managed", "inline", "trust", "bucket"]))
def test_any_text_gives_a_document_or_awss_error(text, kind):
    try:
        parse_policy(text, kind, bucket="b")
    except AWSError as error:
        assert error.code in (EXPECTED_CODES[kind], "LimitExceeded")


def test_deny_wins_and_wildcards():
    """Explicit Deny overrides Allow; actions match case-insensitively with * and ?, resources
    case-sensitively. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"""
    document = {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject?ersion", "Resource": "arn:aws:s3:::b/secret/*"},
    ]}
    assert evaluate(document, RequestContext("S3:GETOBJECT", "arn:aws:s3:::b/x", ALICE)) == "Allow"
    assert evaluate(document, RequestContext("s3:GetObjectVersion", "arn:aws:s3:::b/secret/x", ALICE)) == "Deny"
    assert evaluate(document, RequestContext("s3:GetObject", "arn:aws:s3:::B/x", ALICE)) is None
    assert evaluate(document, RequestContext("s3:PutObject", "arn:aws:s3:::b/x", ALICE)) is None
    assert wildcard_match("a*c?", "abbbcd") and not wildcard_match("a*c?", "abbbc")


def test_principals():
    """An account principal (id or :root) covers every principal of the account; a role ARN covers
    its sessions; Service principals match only that service.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"""
    def allows(principal, caller):
        document = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}
        return evaluate(document, RequestContext("sts:AssumeRole", "arn:aws:iam::1:role/R", caller)) == "Allow"

    assert allows({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, ALICE) and allows({"AWS": ACCOUNT}, SESSION)
    assert allows({"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"}, SESSION)
    assert not allows({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, ALICE)
    assert not allows({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, CLOUDTRAIL)
    assert allows({"Service": ["config.amazonaws.com", "cloudtrail.amazonaws.com"]}, CLOUDTRAIL)
    assert allows("*", CLOUDTRAIL)


@pytest.mark.parametrize("condition, keys, expected", [
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": ["true"]}, "Allow"),
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {}, None),  # key absent: the condition fails
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, "Allow"),
    ({"Null": {"aws:MultiFactorAuthPresent": "true"}}, {}, "Allow"),
    ({"StringNotEquals": {"s3:x-amz-acl": "public-read"}}, {"s3:x-amz-acl": ["private"]}, "Allow"),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}},
     {"aws:principalarn": [f"arn:aws:iam::{ACCOUNT}:user/alice"]}, "Allow"),
    ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["a", "c"]}, None),
    ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": ["c", "b"]}, "Allow"),
    ({"NumericLessThan": {"n": "10"}}, {"n": ["9"]}, "Allow"),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": ["10.1.2.3"]}, None),  # unknown operator
])
def test_condition_operators(condition, keys, expected):
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    document = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                               "Condition": condition}]}
    assert evaluate(document, RequestContext("s3:PutObject", "arn:aws:s3:::b/k", ALICE, keys)) == expected


def test_service_source_arn_is_any_arn_of_the_account():
    """The lab cannot know which trail writes: aws:SourceArn matches any ARN of the account."""
    document = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                               "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {
                                   "aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/t"}}}]}
    keys = {"aws:SourceArn": [AnyArnInAccount(ACCOUNT)]}
    assert evaluate(document, RequestContext("s3:PutObject", "arn:aws:s3:::b/k", CLOUDTRAIL, keys)) == "Allow"
    keys = {"aws:SourceArn": [AnyArnInAccount("999999999999")]}
    assert evaluate(document, RequestContext("s3:PutObject", "arn:aws:s3:::b/k", CLOUDTRAIL, keys)) is None


def test_public_policies():
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"""
    public = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]}
    assert grants_public_access(public)
    pinned = {"Statement": [{**public["Statement"][0], "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]}
    assert not grants_public_access(pinned)
    denying = {"Statement": [{**public["Statement"][0], "Effect": "Deny"}]}
    assert not grants_public_access(denying)


def test_trust_policy_grammar():
    """Trust policies need a principal and no resource."""
    with pytest.raises(AWSError, match="Has prohibited field Resource"):
        parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                 "Action": "sts:AssumeRole", "Resource": "*"}]}), "trust")
    with pytest.raises(AWSError, match="Missing required field Principal"):
        parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                 "Action": "sts:AssumeRole"}]}), "trust")
    with pytest.raises(AWSError) as unknown:
        parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "AWS": f"arn:aws:iam::{ACCOUNT}:user/ghost"}, "Action": "sts:AssumeRole"}]}), "trust",
            principal_exists=lambda arn: False)
    assert unknown.value.message == f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT}:user/ghost"'
