"""Managed rules for IAM: the root user, the password policy, users, groups and policies.

Each rule's docstring names its page under
https://docs.aws.amazon.com/config/latest/developerguide/. Access keys, MFA devices and
last-used dates are not in IAM configuration items; like AWS's rules, these rules read them
from IAM (here the credential report and GetAccountSummary that the context provides).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
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
    not_applicable,
    parse_strict_true,
    parse_timestamp,
    policy_document,
    statements,
)

USER = ("AWS::IAM::User",)
ROOT_USER = "<root_account>"


def _summary(context: RuleContext) -> Mapping[str, Any]:
    return context.get_account_summary().get("SummaryMap", {})


def _root_access_key_check(params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _summary(context).get("AccountAccessKeysPresent"):
        return non_compliant("The root user has an access key.")
    return compliant()


IAM_ROOT_ACCESS_KEY_CHECK = ManagedRule(
    identifier="IAM_ROOT_ACCESS_KEY_CHECK",
    name="iam-root-access-key-check",
    resource_types=(),
    trigger=Trigger.PERIODIC,
    check_account=_root_access_key_check,
)
"""iam-root-access-key-check: the account is NON_COMPLIANT when the root user has an access
key (GetAccountSummary AccountAccessKeysPresent)."""


def _root_mfa_check(params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _summary(context).get("AccountMFAEnabled"):
        return compliant()
    return non_compliant("The root user has no MFA device.")


ROOT_ACCOUNT_MFA_ENABLED = ManagedRule(
    identifier="ROOT_ACCOUNT_MFA_ENABLED",
    name="root-account-mfa-enabled",
    resource_types=(),
    trigger=Trigger.PERIODIC,
    check_account=_root_mfa_check,
)
"""root-account-mfa-enabled: the account is NON_COMPLIANT when the root user has no MFA
(GetAccountSummary AccountMFAEnabled)."""

_POLICY_REQUIREMENTS = (
    ("RequireUppercaseCharacters", "true"),
    ("RequireLowercaseCharacters", "true"),
    ("RequireSymbols", "true"),
    ("RequireNumbers", "true"),
)


def _password_policy_check(params: Mapping[str, Any], context: RuleContext) -> Verdict:
    answer = context.get_account_password_policy()
    if answer is None:
        return non_compliant("The account has no custom password policy.")
    policy = answer.get("PasswordPolicy", {})
    failures = [name for name, _ in _POLICY_REQUIREMENTS if params.get(name) and not policy.get(name)]
    if policy.get("MinimumPasswordLength", 0) < params.get("MinimumPasswordLength", 0):
        failures.append("MinimumPasswordLength")
    if "PasswordReusePrevention" in params and policy.get("PasswordReusePrevention", 0) < params["PasswordReusePrevention"]:
        failures.append("PasswordReusePrevention")
    max_age = policy.get("MaxPasswordAge")
    if "MaxPasswordAge" in params and (not max_age or max_age > params["MaxPasswordAge"]):
        failures.append("MaxPasswordAge")
    if failures:
        return non_compliant(f"The password policy does not meet: {', '.join(failures)}.")
    return compliant()


IAM_PASSWORD_POLICY = ManagedRule(
    identifier="IAM_PASSWORD_POLICY",
    name="iam-password-policy",
    resource_types=(),
    trigger=Trigger.PERIODIC,
    parameters=(
        *(Parameter(name, "boolean", default=default, parser=parse_strict_true) for name, default in _POLICY_REQUIREMENTS),
        Parameter("MinimumPasswordLength", "int", default="14"),
        Parameter("PasswordReusePrevention", "int", default="24"),
        Parameter("MaxPasswordAge", "int", default="90"),
    ),
    check_account=_password_policy_check,
)
"""iam-password-policy: the account is NON_COMPLIANT without a custom password policy or when
the policy misses a requirement: character classes, minimum length (default 14), reuse
prevention (24), maximum age (90 days). "true" is case-sensitive; anything else means false."""


def _report_row(ci: ConfigurationItem, context: RuleContext) -> Mapping[str, str] | None:
    name = ci.get("userName", default=ci.resource_name)
    return next((row for row in context.credential_report() if row.get("user") == name), None)


def _report_time(row: Mapping[str, str], column: str) -> datetime | None:
    value = row.get(column)
    return None if value in (None, "", "N/A", "no_information", "not_supported") else parse_timestamp(value)


def _keys_rotated_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    row = _report_row(ci, context) or {}
    limit = timedelta(days=params["maxAccessKeyAge"])
    for n in (1, 2):
        rotated = _report_time(row, f"access_key_{n}_last_rotated")
        if row.get(f"access_key_{n}_active") == "true" and rotated and context.now - rotated > limit:
            return non_compliant(f"Active access key {n} was last rotated on {rotated:%Y-%m-%d}.")
    return compliant()


ACCESS_KEYS_ROTATED = ManagedRule(
    identifier="ACCESS_KEYS_ROTATED",
    name="access-keys-rotated",
    resource_types=USER,
    trigger=Trigger.PERIODIC,
    parameters=(Parameter("maxAccessKeyAge", "int", optional=False, default="90"),),
    check=_keys_rotated_check,
)
"""access-keys-rotated: a user is NON_COMPLIANT when an active access key is older than
maxAccessKeyAge days (default 90). Users are the recorded AWS::IAM::User items."""


def _user_mfa_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    row = _report_row(ci, context) or {}
    return compliant() if row.get("mfa_active") == "true" else non_compliant("The user has no MFA device.")


IAM_USER_MFA_ENABLED = ManagedRule(
    identifier="IAM_USER_MFA_ENABLED",
    name="iam-user-mfa-enabled",
    resource_types=USER,
    trigger=Trigger.PERIODIC,
    check=_user_mfa_check,
)
"""iam-user-mfa-enabled: a user without an MFA device is NON_COMPLIANT."""


def _unused_credentials_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    row = _report_row(ci, context) or {}
    limit = timedelta(days=params["maxCredentialUsageAge"])
    created = _report_time(row, "user_creation_time") or parse_timestamp(ci.get("createDate"))
    stale: list[str] = []
    if row.get("password_enabled") == "true":
        # A credential never used counts from when it was set (plausible: the page is silent).
        last = _report_time(row, "password_last_used") or _report_time(row, "password_last_changed") or created
        if last and context.now - last > limit:
            stale.append("password")
    for n in (1, 2):
        if row.get(f"access_key_{n}_active") == "true":
            last = _report_time(row, f"access_key_{n}_last_used_date") or _report_time(row, f"access_key_{n}_last_rotated")
            if last and context.now - last > limit:
                stale.append(f"access key {n}")
    if stale:
        return non_compliant(f"Unused for more than {params['maxCredentialUsageAge']} days: {', '.join(stale)}.")
    return compliant()


IAM_USER_UNUSED_CREDENTIALS_CHECK = ManagedRule(
    identifier="IAM_USER_UNUSED_CREDENTIALS_CHECK",
    name="iam-user-unused-credentials-check",
    resource_types=USER,
    trigger=Trigger.PERIODIC,
    parameters=(Parameter("maxCredentialUsageAge", "int", optional=False, default="90"),),
    check=_unused_credentials_check,
)
"""iam-user-unused-credentials-check: a user is NON_COMPLIANT when its console password or an
active access key has not been used within maxCredentialUsageAge days (default 90)."""


def _default_document(ci: ConfigurationItem) -> dict[str, Any]:
    versions = as_list(ci.get("policyVersionList"))
    chosen = next((v for v in versions if (v or {}).get("isDefaultVersion")), versions[0] if versions else None)
    return policy_document((chosen or {}).get("document"))


def _admin_statement(statement: Mapping[str, Any]) -> bool:
    return (
        statement.get("Effect") == "Allow"
        and "*" in as_list(statement.get("Action"))
        and "*" in as_list(statement.get("Resource"))
    )


def _admin_access_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if params.get("excludePermissionBoundaryPolicy") and ci.get("permissionsBoundaryUsageCount", default=0) > 0:
        return not_applicable("The policy is used as a permissions boundary.")
    if any(_admin_statement(s) for s in statements(_default_document(ci))):
        return non_compliant('A statement allows Action "*" on Resource "*".')
    return compliant()


IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS = ManagedRule(
    identifier="IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    name="iam-policy-no-statements-with-admin-access",
    resource_types=("AWS::IAM::Policy",),
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("excludePermissionBoundaryPolicy", "boolean"),),
    check=_admin_access_check,
)
"""iam-policy-no-statements-with-admin-access: a customer managed policy whose default version
has a statement with "Effect": "Allow", "Action": "*" and "Resource": "*" is NON_COMPLIANT
("service:*" is fine); with excludePermissionBoundaryPolicy, boundary policies are NOT_APPLICABLE."""


def _user_policies_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if as_list(ci.get("userPolicyList")) or as_list(ci.get("attachedManagedPolicies")):
        return non_compliant("Policies are attached to the user directly.")
    return compliant()


IAM_USER_NO_POLICIES_CHECK = ManagedRule(
    identifier="IAM_USER_NO_POLICIES_CHECK",
    name="iam-user-no-policies-check",
    resource_types=USER,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_user_policies_check,
)
"""iam-user-no-policies-check: a user with inline or attached managed policies is NON_COMPLIANT;
permissions should come from groups or roles."""

_INLINE_LISTS = {
    "AWS::IAM::User": "userPolicyList",
    "AWS::IAM::Role": "rolePolicyList",
    "AWS::IAM::Group": "groupPolicyList",
}


def _inline_policy_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if as_list(ci.get(_INLINE_LISTS[ci.resource_type])):
        return non_compliant("The identity has an inline policy.")
    return compliant()


IAM_NO_INLINE_POLICY_CHECK = ManagedRule(
    identifier="IAM_NO_INLINE_POLICY_CHECK",
    name="iam-no-inline-policy-check",
    resource_types=("AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::User"),
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_inline_policy_check,
)
"""iam-no-inline-policy-check: a user, role or group with any inline policy is NON_COMPLIANT."""


def _group_has_users_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    name = ci.get("groupName", default=ci.resource_name)
    for item in context.list_items("AWS::IAM::User"):
        if name in as_list(ConfigurationItem.of(item).get("groupList")):
            return compliant()
    return non_compliant("The group has no users.")


IAM_GROUP_HAS_USERS_CHECK = ManagedRule(
    identifier="IAM_GROUP_HAS_USERS_CHECK",
    name="iam-group-has-users-check",
    resource_types=("AWS::IAM::Group",),
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_group_has_users_check,
)
"""iam-group-has-users-check: a group with no users is NON_COMPLIANT (membership is read from
the users' groupList, since group items do not list their users)."""


def _group_membership_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    groups = as_list(ci.get("groupList"))
    wanted = params.get("groupNames")
    if (wanted and not set(groups) & set(wanted)) or not groups:
        return non_compliant("The user is not a member of a required group.")
    return compliant()


IAM_USER_GROUP_MEMBERSHIP_CHECK = ManagedRule(
    identifier="IAM_USER_GROUP_MEMBERSHIP_CHECK",
    name="iam-user-group-membership-check",
    resource_types=USER,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("groupNames", "CSV"),),
    check=_group_membership_check,
)
"""iam-user-group-membership-check: a user in none of the groupNames (or, without the
parameter, in no group at all) is NON_COMPLIANT."""

RULES = (
    IAM_ROOT_ACCESS_KEY_CHECK,
    ROOT_ACCOUNT_MFA_ENABLED,
    IAM_PASSWORD_POLICY,
    ACCESS_KEYS_ROTATED,
    IAM_USER_MFA_ENABLED,
    IAM_USER_UNUSED_CREDENTIALS_CHECK,
    IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS,
    IAM_USER_NO_POLICIES_CHECK,
    IAM_NO_INLINE_POLICY_CHECK,
    IAM_GROUP_HAS_USERS_CHECK,
    IAM_USER_GROUP_MEMBERSHIP_CHECK,
)
