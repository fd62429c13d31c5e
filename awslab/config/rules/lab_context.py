"""A RuleContext over the lab: what a managed rule reads when it runs inside awslab.

Configuration items come from ``config_items`` (the latest recorded, not deleted, item of each
resource); everything else is asked of the lab's services through boto3 as
``config.amazonaws.com``, the calls AWS's managed rules make (so CloudTrail shows them as
Config's, as on AWS).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from awslab.config.rules.model import ConfigurationItem

SERVICE = "config.amazonaws.com"

CURRENT_ITEMS_SQL = """SELECT item FROM config_items
WHERE account_id = ? AND region = ? AND resource_type = ?
  AND status IN ('OK', 'ResourceDiscovered')
QUALIFY row_number() OVER (PARTITION BY resource_id ORDER BY state_id DESC) = 1
ORDER BY resource_id"""


class LabRuleContext:
    """The RuleContext protocol answered from one lab account and Region.

    ``in_scope`` (a resource type, id and tags → bool) narrows ``list_items`` to a rule's Scope.
    """

    def __init__(self, lab: Any, region: str, now: datetime,
                 in_scope: Callable[[str, str, Mapping[str, str]], bool] | None = None) -> None:
        self.lab = lab
        self.account_id: str = lab.account_id
        self.region = region
        self.now = now
        self._in_scope = in_scope
        self._cache: dict[str, Any] = {}

    def _client(self, name: str) -> Any:
        return self.lab.service_client(name, SERVICE, self.region)

    def list_items(self, resource_type: str) -> Sequence[Mapping[str, Any]]:
        rows = self.lab.db.execute(CURRENT_ITEMS_SQL, [self.account_id, self.region, resource_type]).fetchall()
        found = [json.loads(item) for (item,) in rows]
        if self._in_scope is None:
            return found
        return [i for i in found if self._in_scope(i["resourceType"], i["resourceId"], i.get("tags") or {})]

    def get_account_summary(self) -> Mapping[str, Any]:
        return self._client("iam").get_account_summary()

    def get_account_password_policy(self) -> Mapping[str, Any] | None:
        try:
            return self._client("iam").get_account_password_policy()
        except ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchEntity":
                return None
            raise

    def credential_report(self) -> Sequence[Mapping[str, str]]:
        if "report" not in self._cache:
            iam = self._client("iam")
            iam.generate_credential_report()
            content = iam.get_credential_report()["Content"]
            text = content.decode() if isinstance(content, bytes) else content
            self._cache["report"] = list(csv.DictReader(io.StringIO(text)))
        return self._cache["report"]

    def get_ebs_encryption_by_default(self) -> Mapping[str, Any]:
        return self._client("ec2").get_ebs_encryption_by_default()

    def describe_trails(self) -> Mapping[str, Any]:
        return self._client("cloudtrail").describe_trails(includeShadowTrails=True)

    def get_trail_status(self, name: str) -> Mapping[str, Any]:
        return self._client("cloudtrail").get_trail_status(Name=name)

    def get_event_selectors(self, name: str) -> Mapping[str, Any]:
        return self._client("cloudtrail").get_event_selectors(TrailName=name)


def item_tags(item: Mapping[str, Any]) -> dict[str, str]:
    return ConfigurationItem.of(item).tags
