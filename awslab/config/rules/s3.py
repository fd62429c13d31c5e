"""Managed rules for Amazon S3 buckets (AWS::S3::Bucket).

Each rule's docstring names its page under
https://docs.aws.amazon.com/config/latest/developerguide/. Buckets are read from the
configuration item's supplementaryConfiguration: PublicAccessBlockConfiguration,
BucketPolicy{policyText}, AccessControlList{grantList}, ServerSideEncryptionConfiguration,
BucketVersioningConfiguration and BucketLoggingConfiguration.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from awslab.config.rules.model import (
    ConfigurationItem,
    ManagedRule,
    Parameter,
    RuleContext,
    Trigger,
    Verdict,
    as_list,
    compliant,
    non_compliant,
    policy_document,
    statements,
)

BUCKET = ("AWS::S3::Bucket",)
ACCOUNT_PUBLIC_ACCESS_BLOCK = "AWS::S3::AccountPublicAccessBlock"
PUBLIC_GROUPS = ("AllUsers", "AuthenticatedUsers")
# Representative actions: a statement grants "read" if its Action pattern covers one of them.
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions")
WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutBucketAcl")
READ_PERMISSIONS = ("READ", "FULL_CONTROL", "FULLCONTROL")
WRITE_PERMISSIONS = ("WRITE", "FULL_CONTROL", "FULLCONTROL")
BPA_SETTINGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")


def _public_access_block(ci: ConfigurationItem, context: RuleContext | None) -> dict[str, bool]:
    """Bucket-level settings, OR-ed with the account-level ones when a context gives them."""
    settings = {k: bool((ci.supplementary.get("PublicAccessBlockConfiguration") or {}).get(k)) for k in BPA_SETTINGS}
    if context is not None:
        for item in context.list_items(ACCOUNT_PUBLIC_ACCESS_BLOCK):
            account = ConfigurationItem.of(item).configuration
            for k in BPA_SETTINGS:
                settings[k] = settings[k] or bool(account.get(k))
    return settings


def _policy(ci: ConfigurationItem) -> dict[str, Any]:
    policy = ci.supplementary.get("BucketPolicy") or {}
    return policy_document(policy.get("policyText") if isinstance(policy, dict) else policy)


def _is_public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS"))
    return False


def _covers(patterns: Any, actions: tuple[str, ...]) -> bool:
    return any(fnmatchcase(a.lower(), str(p).lower()) for p in as_list(patterns) for a in actions)


def _policy_allows_public(ci: ConfigurationItem, actions: tuple[str, ...]) -> bool:
    # A Condition narrows who the statement applies to, so only unconditional grants to
    # everyone count as public (plausible reading of "allows public access").
    return any(
        s.get("Effect") == "Allow"
        and _is_public_principal(s.get("Principal"))
        and _covers(s.get("Action"), actions)
        and not s.get("Condition")
        for s in statements(_policy(ci))
    )


def _grants(ci: ConfigurationItem) -> list[tuple[str, str]]:
    """(grantee, permission) pairs of the bucket ACL in any of its recorded shapes."""
    acl = ci.supplementary.get("AccessControlList") or {}
    pairs = []
    for grant in as_list(acl.get("grantList") if isinstance(acl, dict) else None):
        if not isinstance(grant, dict):
            continue
        grantee = grant.get("grantee")
        if isinstance(grantee, dict):
            grantee = grantee.get("uri") or grantee.get("URI") or grantee.get("id") or grantee.get("identifier")
        permission = str(grant.get("permission", "")).upper().replace(" ", "")
        pairs.append((str(grantee).rsplit("/", 1)[-1], permission))
    return pairs


def _acl_allows_public(ci: ConfigurationItem, permissions: tuple[str, ...]) -> bool:
    return any(g in PUBLIC_GROUPS and p in permissions for g, p in _grants(ci))


def _public_access_check(actions: tuple[str, ...], permissions: tuple[str, ...], kind: str, account_bpa: bool):
    def check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
        bpa = _public_access_block(ci, context if account_bpa else None)
        if not bpa["restrictPublicBuckets"] and _policy_allows_public(ci, actions):
            return non_compliant(f"The bucket policy allows public {kind} access.")
        if not bpa["ignorePublicAcls"] and _acl_allows_public(ci, permissions):
            return non_compliant(f"The bucket ACL allows public {kind} access.")
        return compliant()

    return check


S3_BUCKET_PUBLIC_READ_PROHIBITED = ManagedRule(
    identifier="S3_BUCKET_PUBLIC_READ_PROHIBITED",
    name="s3-bucket-public-read-prohibited",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES_AND_PERIODIC,
    check=_public_access_check(READ_ACTIONS, READ_PERMISSIONS, "read", account_bpa=True),
)
"""s3-bucket-public-read-prohibited: NON_COMPLIANT when Block Public Access does not restrict
public policies (RestrictPublicBuckets) and the policy allows public read, or does not restrict
public ACLs (IgnorePublicAcls) and the ACL grants AllUsers/AuthenticatedUsers read."""

S3_BUCKET_PUBLIC_WRITE_PROHIBITED = ManagedRule(
    identifier="S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    name="s3-bucket-public-write-prohibited",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES_AND_PERIODIC,
    check=_public_access_check(WRITE_ACTIONS, WRITE_PERMISSIONS, "write", account_bpa=False),
)
"""s3-bucket-public-write-prohibited: as the read rule, for write access; bucket-level Block
Public Access settings only."""


def _default_encryption(ci: ConfigurationItem) -> bool:
    config = ci.supplementary.get("ServerSideEncryptionConfiguration") or {}
    for rule in as_list(config.get("rules") if isinstance(config, dict) else None):
        default = (rule or {}).get("applyServerSideEncryptionByDefault") or {}
        if default.get("sseAlgorithm") in ("AES256", "aws:kms", "aws:kms:dsse"):
            return True
    return False


def _denies_unencrypted_puts(ci: ConfigurationItem) -> bool:
    for s in statements(_policy(ci)):
        if s.get("Effect") != "Deny" or not _covers(s.get("Action"), ("s3:PutObject",)):
            continue
        for values in (s.get("Condition") or {}).values():
            if isinstance(values, dict) and any(k.lower() == "s3:x-amz-server-side-encryption" for k in values):
                return True
    return False


def _sse_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _default_encryption(ci) or _denies_unencrypted_puts(ci):
        return compliant()
    return non_compliant("The bucket has no default encryption and its policy does not deny unencrypted puts.")


S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED = ManagedRule(
    identifier="S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    name="s3-bucket-server-side-encryption-enabled",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_sse_check,
)
"""s3-bucket-server-side-encryption-enabled: COMPLIANT when default encryption (SSE-S3 or
SSE-KMS) is configured or the bucket policy denies PutObject without server-side encryption."""


def _versioning_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    versioning = ci.supplementary.get("BucketVersioningConfiguration") or {}
    status = versioning.get("status", "Off") if isinstance(versioning, dict) else "Off"
    if status != "Enabled":
        return non_compliant(f"Versioning is {status}.")
    if params.get("isMfaDeleteEnabled") and not versioning.get("isMfaDeleteEnabled"):
        return non_compliant("MFA delete is not enabled.")
    return compliant()


S3_BUCKET_VERSIONING_ENABLED = ManagedRule(
    identifier="S3_BUCKET_VERSIONING_ENABLED",
    name="s3-bucket-versioning-enabled",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("isMfaDeleteEnabled", "boolean"),),
    check=_versioning_check,
)
"""s3-bucket-versioning-enabled: NON_COMPLIANT unless versioning is Enabled (Off and Suspended
fail); with isMfaDeleteEnabled "true", MFA delete must be enabled too."""


def _logging_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    logging = ci.supplementary.get("BucketLoggingConfiguration") or {}
    target = logging.get("destinationBucketName") if isinstance(logging, dict) else None
    if not target:
        return non_compliant("Server access logging is not enabled.")
    if "targetBucket" in params and target != params["targetBucket"]:
        return non_compliant(f"Logs go to {target}, not {params['targetBucket']}.")
    if "targetPrefix" in params and logging.get("logFilePrefix") != params["targetPrefix"]:
        return non_compliant(f"The log prefix is not {params['targetPrefix']}.")
    return compliant()


S3_BUCKET_LOGGING_ENABLED = ManagedRule(
    identifier="S3_BUCKET_LOGGING_ENABLED",
    name="s3-bucket-logging-enabled",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("targetPrefix"), Parameter("targetBucket")),
    check=_logging_check,
)
"""s3-bucket-logging-enabled: NON_COMPLIANT without a logging destination, or when the
destination bucket or prefix differs from targetBucket / targetPrefix."""


def _secure_transport_false(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, values in condition.items():
        if not isinstance(values, dict) or operator.lower() not in ("bool", "boolifexists"):
            continue
        for key, value in values.items():
            if key.lower() == "aws:securetransport" and any(str(v).lower() == "false" for v in as_list(value)):
                return True
    return False


def _ssl_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    for s in statements(_policy(ci)):
        if (
            s.get("Effect") == "Deny"
            and _is_public_principal(s.get("Principal"))
            and _covers(s.get("Action"), ("s3:GetObject",))
            and _secure_transport_false(s.get("Condition"))
        ):
            return compliant()
    return non_compliant("The bucket policy does not deny requests with aws:SecureTransport false.")


S3_BUCKET_SSL_REQUESTS_ONLY = ManagedRule(
    identifier="S3_BUCKET_SSL_REQUESTS_ONLY",
    name="s3-bucket-ssl-requests-only",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_ssl_check,
)
"""s3-bucket-ssl-requests-only: COMPLIANT only when the bucket policy explicitly denies HTTP
requests (a Deny to everyone with Bool aws:SecureTransport "false")."""


def _level_public_access_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    name = ci.get("name", default=ci.resource_name or ci.resource_id)
    if name in params.get("excludedPublicBuckets", []):
        return compliant("The bucket is listed in excludedPublicBuckets.")
    bpa = _public_access_block(ci, None)
    off = [k for k in BPA_SETTINGS if not bpa[k]]
    if off:
        return non_compliant(f"Bucket-level Block Public Access settings are off: {', '.join(off)}.")
    return compliant()


S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED = ManagedRule(
    identifier="S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
    name="s3-bucket-level-public-access-prohibited",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("excludedPublicBuckets", "CSV"),),
    check=_level_public_access_check,
)
"""s3-bucket-level-public-access-prohibited: NON_COMPLIANT when a bucket not listed in
excludedPublicBuckets does not turn on all four bucket-level Block Public Access settings."""


def _acl_prohibited_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    acl = ci.supplementary.get("AccessControlList") or {}
    owner = (acl.get("owner") or {}).get("id") if isinstance(acl, dict) else None
    owner = owner or (ci.get("owner", "id"))
    others = [g for g, _ in _grants(ci) if g != owner]
    if others:
        return non_compliant(f"The bucket ACL grants access to {', '.join(sorted(set(others)))}.")
    return compliant()


S3_BUCKET_ACL_PROHIBITED = ManagedRule(
    identifier="S3_BUCKET_ACL_PROHIBITED",
    name="s3-bucket-acl-prohibited",
    resource_types=BUCKET,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_acl_prohibited_check,
)
"""s3-bucket-acl-prohibited: NON_COMPLIANT when the bucket ACL grants access to anyone other
than the bucket owner."""

RULES = (
    S3_BUCKET_PUBLIC_READ_PROHIBITED,
    S3_BUCKET_PUBLIC_WRITE_PROHIBITED,
    S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED,
    S3_BUCKET_VERSIONING_ENABLED,
    S3_BUCKET_LOGGING_ENABLED,
    S3_BUCKET_SSL_REQUESTS_ONLY,
    S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED,
    S3_BUCKET_ACL_PROHIBITED,
)
