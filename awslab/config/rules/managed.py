"""The registry of AWS managed rules the lab implements, keyed by their source identifiers.

``MANAGED_RULES["ENCRYPTED_VOLUMES"]`` is a ManagedRule: its resource types, trigger type,
parameters (with defaults and PutConfigRule's validation) and an evaluation function
``rule.evaluate(item, params, context) -> list[Evaluation]``. Each rule's logic follows its page
under https://docs.aws.amazon.com/config/latest/developerguide/ (``rule.documentation``);
the identifiers, parameters and trigger types agree with AWS's published list of managed rules.

Example::

    rule = managed_rule("INCOMING_SSH_DISABLED")
    rule.evaluate(security_group_item, None, StaticRuleContext())
"""

from __future__ import annotations

from awslab.config.rules import cloudtrail, ec2, iam, resources, s3
from awslab.config.rules.model import (
    ConfigurationItem,
    Evaluation,
    ManagedRule,
    Parameter,
    RuleContext,
    RuleParameterError,
    StaticRuleContext,
    Trigger,
    invalid_parameter_value,
)

__all__ = [
    "MANAGED_RULES",
    "ConfigurationItem",
    "Evaluation",
    "ManagedRule",
    "Parameter",
    "RuleContext",
    "RuleParameterError",
    "StaticRuleContext",
    "Trigger",
    "managed_rule",
]

MANAGED_RULES: dict[str, ManagedRule] = {
    rule.identifier: rule for rule in (*s3.RULES, *ec2.RULES, *iam.RULES, *cloudtrail.RULES, *resources.RULES)
}


def managed_rule(source_identifier: str) -> ManagedRule:
    """The managed rule for a Source.SourceIdentifier; InvalidParameterValueException if unknown.

    The message is the one moto reproduces from AWS's PutConfigRule.
    """
    try:
        return MANAGED_RULES[source_identifier]
    except KeyError:
        raise invalid_parameter_value(
            f"The sourceIdentifier {source_identifier} is invalid.  Please refer to the documentation "
            "for a list of valid sourceIdentifiers that can be used when AWS is the Owner"
        ) from None
