"""Launch templates: saved RunInstances settings, for RunInstances and Auto Scaling groups.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-launch-templates.html

The lab keeps each template's first version only ("$Latest" and "$Default" are version 1);
CreateLaunchTemplateVersion is not simulated. Settings given to RunInstances override the
template's, as on AWS.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import AWSError
from ..gateway import Call

# RunInstances parameters a template can supply (same names in LaunchTemplateData)
TEMPLATE_KEYS = ("ImageId", "InstanceType", "SecurityGroupIds", "SecurityGroups", "Monitoring",
                 "IamInstanceProfile", "TagSpecifications", "UserData", "KeyName", "Placement", "EbsOptimized")
_NAME = re.compile(r"^[a-zA-Z0-9().\-/_]{3,128}$")


def _not_found(what: str) -> AWSError:
    return AWSError("InvalidLaunchTemplateName.NotFoundException" if not what.startswith("lt-")
                    else "InvalidLaunchTemplateId.NotFound",
                    f"The specified launch template, with template {'ID' if what.startswith('lt-') else 'name'} "
                    f"{what}, does not exist.")


class LaunchTemplatesMixin:
    """Handlers for launch templates (mixed into Ec2Service)."""

    def _template(self, call: Call, template_id: str | None, name: str | None) -> dict[str, Any]:
        row = call.db.execute("SELECT template_id, name, data, created, created_by FROM ec2_launch_templates WHERE "
                              "region = ? AND account_id = ? AND (template_id = ? OR name = ?)",
                              [call.region, call.account_id, template_id, name]).fetchone()
        if row is None:
            raise _not_found(template_id or name or "")
        return {"id": row[0], "name": row[1], "data": json.loads(row[2]), "created": row[3], "by": row[4]}

    @staticmethod
    def _shown(t: dict[str, Any]) -> dict[str, Any]:
        return {"LaunchTemplateId": t["id"], "LaunchTemplateName": t["name"], "CreateTime": t["created"],
                "CreatedBy": t["by"], "DefaultVersionNumber": 1, "LatestVersionNumber": 1}

    def create_launch_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["LaunchTemplateName"]
        if not _NAME.match(name):
            raise AWSError("InvalidLaunchTemplateName.MalformedException",
                           "A launch template name must be between 3 and 128 characters, and may contain letters, "
                           "numbers, and the following characters: - ( ) . / _.'")
        if call.db.execute("SELECT 1 FROM ec2_launch_templates WHERE region = ? AND account_id = ? AND name = ?",
                           [call.region, call.account_id, name]).fetchone():
            raise AWSError("InvalidLaunchTemplateName.AlreadyExistsException",
                           f"Launch template name already in use.")
        template_id = self._new_id(call.region, call.account_id, "lt")
        call.db.execute("INSERT INTO ec2_launch_templates VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [call.region, call.account_id, template_id, name,
                         json.dumps(params["LaunchTemplateData"], default=str), call.time, call.principal.arn])
        return {"LaunchTemplate": self._shown(self._template(call, template_id, None))}

    def describe_launch_templates(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids, names = params.get("LaunchTemplateIds") or [], params.get("LaunchTemplateNames") or []
        for wanted in ids + names:
            self._template(call, wanted if wanted in ids else None, wanted if wanted in names else None)
        rows = call.db.execute("SELECT template_id FROM ec2_launch_templates WHERE region = ? AND account_id = ? "
                               "ORDER BY template_id", [call.region, call.account_id]).fetchall()
        shown = [self._shown(self._template(call, r[0], None)) for r in rows]
        if ids or names:
            shown = [t for t in shown if t["LaunchTemplateId"] in ids or t["LaunchTemplateName"] in names]
        return {"LaunchTemplates": shown}

    def describe_launch_template_versions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        t = self._template(call, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        return {"LaunchTemplateVersions": [{
            "LaunchTemplateId": t["id"], "LaunchTemplateName": t["name"], "VersionNumber": 1,
            "CreateTime": t["created"], "CreatedBy": t["by"], "DefaultVersion": True, "LaunchTemplateData": t["data"]}]}

    def delete_launch_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        t = self._template(call, params.get("LaunchTemplateId"), params.get("LaunchTemplateName"))
        call.db.execute("DELETE FROM ec2_launch_templates WHERE template_id = ?", [t["id"]])
        return {"LaunchTemplate": self._shown(t)}

    def _with_launch_template(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """RunInstances parameters with the template's settings filled in where the call gave none."""
        spec = params.get("LaunchTemplate")
        if not spec:
            return params
        version = str(spec.get("Version", "$Default"))
        if version not in ("1", "$Latest", "$Default"):
            raise AWSError("InvalidLaunchTemplateId.VersionNotFound",
                           f"Could not find launch template version {version}.")
        t = self._template(call, spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName"))
        merged = {key: t["data"][key] for key in TEMPLATE_KEYS if key in t["data"]}
        merged.update({k: v for k, v in params.items() if k != "LaunchTemplate"})
        return merged
