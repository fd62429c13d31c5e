"""Virtual MFA devices, the account summary and the credential report.

* Virtual MFA: CreateVirtualMFADevice, EnableMFADevice (two consecutive codes), Deactivate,
  Delete, ListMFADevices, ListVirtualMFADevices.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html
  The lab cannot see an authenticator app, so it accepts any two six-digit codes (it checks
  their form, not their value). The root's MFA is switched on by the console in AWS; here by
  :meth:`MFAHandlers.enable_root_mfa` (``lab.service_for("iam").enable_root_mfa()``).
* GetAccountSummary: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html
* Credential report (CSV, columns and "N/A"/"no_information"/"not_supported" conventions):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from datetime import datetime, timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .iam_store import already_exists, check_name, check_path, delete_conflict, no_such_entity, page, require_user

ROOT_DEVICE = "root-account-mfa-device"
# A 1x1 transparent PNG: the QR code image a console would show (the lab has no camera to scan it).
QR_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
REPORT_FRESHNESS = timedelta(hours=4)

SUMMARY_QUOTAS = {
    "UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
    "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5, "ServerCertificates": 0,
    "ServerCertificatesQuota": 20, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240, "GroupsPerUserQuota": 10, "SigningCertificatesPerUserQuota": 2,
    "AccessKeysPerUserQuota": 2, "AccountSigningCertificatesPresent": 0, "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10, "InstanceProfiles": 0,
    "InstanceProfilesQuota": 1000, "Providers": 0, "GlobalEndpointTokenVersion": 1,
    "AssumeRolePolicySizeQuota": 2048, "MFADevicesInUse": 0,
}

REPORT_COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]


def _device_shape(serial: str, user: str | None, root: bool, enabled: datetime | None, db, account_id: str,
                  start: datetime) -> dict[str, Any]:
    device: dict[str, Any] = {"SerialNumber": serial}
    if root:
        device["User"] = {"Path": "/", "UserName": "root", "UserId": account_id,
                          "Arn": f"arn:aws:iam::{account_id}:root", "CreateDate": start}
    elif user is not None:
        name, uid, path, arn, created = require_user(db, user)[:5]
        device["User"] = {"Path": path, "UserName": name, "UserId": uid, "Arn": arn, "CreateDate": created}
    if enabled is not None:
        device["EnableDate"] = enabled
    return device


def _iso(instant: datetime | None, missing: str = "N/A") -> str:
    return missing if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class MFAHandlers:
    """MFA devices, account summary and credential report (mixed into the IAM service)."""

    def create_virtual_mfa_device(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["VirtualMFADeviceName"], params.get("Path", "/")
        check_name(name, "virtualMFADeviceName")
        check_path(path)
        serial = f"arn:aws:iam::{call.account_id}:mfa{path}{name}"
        if call.db.execute("SELECT count(*) FROM iam_mfa_devices WHERE lower(serial_number) = lower(?)",
                           [serial]).fetchone()[0]:
            raise already_exists("MFADevice entity at the same path and name already exists.")
        seed = base64.b32encode(hashlib.sha256(f"mfa/{serial}".encode()).digest()[:40]).decode().rstrip("=")
        call.db.execute("INSERT INTO iam_mfa_devices VALUES (?, ?, ?, ?, ?, NULL, false, NULL)",
                        [serial, path, name, seed, call.time])
        return {"VirtualMFADevice": {"SerialNumber": serial, "Base32StringSeed": seed.encode(), "QRCodePNG": QR_PNG}}

    def _device(self, call: Call, serial: str) -> tuple:
        row = call.db.execute("SELECT serial_number, user_name, root, enable_date FROM iam_mfa_devices "
                              "WHERE serial_number = ?", [serial]).fetchone()
        if row is None:
            raise no_such_entity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
        return row

    def enable_mfa_device(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user = require_user(call.db, params["UserName"])[0]
        for code in (params["AuthenticationCode1"], params["AuthenticationCode2"]):
            if not re.fullmatch(r"\d{6}", code):
                raise AWSError("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
        serial, owner, root, _ = self._device(call, params["SerialNumber"])
        if owner is not None or root:
            raise already_exists("MFA Device is already in use.")
        call.db.execute("UPDATE iam_mfa_devices SET user_name = ?, enable_date = ? WHERE serial_number = ?",
                        [user, call.time, serial])
        return {}

    def deactivate_mfa_device(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        user = require_user(call.db, params["UserName"])[0]
        found = call.db.execute("UPDATE iam_mfa_devices SET user_name = NULL, enable_date = NULL "
                                "WHERE serial_number = ? AND user_name = ? RETURNING 1",
                                [params["SerialNumber"], user]).fetchall()
        if not found:
            raise no_such_entity(f"MFA Device with serial number {params['SerialNumber']} does not exist.")
        return {}

    def delete_virtual_mfa_device(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        serial, owner, root, _ = self._device(call, params["SerialNumber"])
        if owner is not None or root:
            raise delete_conflict("MFA VirtualDevice in use. Must deactivate first.")
        call.db.execute("DELETE FROM iam_mfa_devices WHERE serial_number = ?", [serial])
        return {}

    def list_mfa_devices(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("UserName")
        if name is None and call.principal.kind == "Root":
            rows = call.db.execute("SELECT 'root', serial_number, enable_date FROM iam_mfa_devices WHERE root "
                                   "ORDER BY enable_date").fetchall()
        else:
            if name is None and call.principal.kind != "IAMUser":
                raise AWSError("ValidationError", "Must specify userName when calling with non-User credentials", 400)
            user = require_user(call.db, name or call.principal.name)[0]
            rows = call.db.execute("SELECT user_name, serial_number, enable_date FROM iam_mfa_devices "
                                   "WHERE user_name = ? ORDER BY enable_date", [user]).fetchall()
        return page([{"UserName": u, "SerialNumber": s, "EnableDate": e} for u, s, e in rows], params, "MFADevices")

    def list_virtual_mfa_devices(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        status = params.get("AssignmentStatus", "Any")
        rows = call.db.execute("SELECT serial_number, user_name, root, enable_date FROM iam_mfa_devices "
                               "ORDER BY serial_number").fetchall()
        devices = []
        for serial, user, root, enabled in rows:
            assigned = user is not None or root
            if status == "Any" or (status == "Assigned") == assigned:
                devices.append(_device_shape(serial, user, root, enabled, call.db, call.account_id, call.lab.start))
        return page(devices, params, "VirtualMFADevices")

    # ------------------------------------------------------------------ the root's MFA (a console action)
    def enable_root_mfa(self) -> str:
        """Give the account root a virtual MFA device, as the console's "Assign MFA" does; returns
        its serial number (``arn:aws:iam::<account>:mfa/root-account-mfa-device``)."""
        lab = self.lab  # type: ignore[attr-defined]
        serial = f"arn:aws:iam::{lab.account_id}:mfa/{ROOT_DEVICE}"
        with lab.transaction():
            lab.db.execute("DELETE FROM iam_mfa_devices WHERE serial_number = ?", [serial])
            lab.db.execute("INSERT INTO iam_mfa_devices VALUES (?, '/', ?, 'ROOT', ?, NULL, true, ?)",
                           [serial, ROOT_DEVICE, lab.now, lab.now])
        return serial

    def disable_root_mfa(self) -> None:
        """Remove the root's MFA device (the console's "Remove")."""
        lab = self.lab  # type: ignore[attr-defined]
        with lab.transaction():
            lab.db.execute("DELETE FROM iam_mfa_devices WHERE root")

    # ------------------------------------------------------------------ account summary
    def get_account_summary(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        counts = call.db.execute("""
            SELECT (SELECT count(*) FROM iam_users), (SELECT count(*) FROM iam_groups),
                   (SELECT count(*) FROM iam_roles), (SELECT count(*) FROM iam_policies WHERE NOT aws_managed),
                   (SELECT count(*) FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.policy_arn
                     WHERE NOT p.aws_managed),
                   (SELECT count(*) FROM iam_mfa_devices),
                   (SELECT count(*) FROM iam_mfa_devices WHERE user_name IS NOT NULL OR root),
                   (SELECT count(*) FROM iam_mfa_devices WHERE root),
                   (SELECT count(*) FROM iam_access_keys WHERE user_name IS NULL AND deleted_date IS NULL)
        """).fetchone()
        users, groups, roles, policies, versions, devices, in_use, root_mfa, root_keys = counts
        summary = dict(SUMMARY_QUOTAS)
        summary.update({"Users": users, "Groups": groups, "Roles": roles, "Policies": policies,
                        "PolicyVersionsInUse": versions, "MFADevices": devices, "MFADevicesInUse": in_use,
                        "AccountMFAEnabled": int(root_mfa > 0), "AccountAccessKeysPresent": int(root_keys > 0)})
        return {"SummaryMap": summary}

    # ------------------------------------------------------------------ credential report
    def generate_credential_report(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        last = call.db.execute("SELECT max(generated_time) FROM iam_credential_reports").fetchone()[0]
        if last is not None and call.time - last < REPORT_FRESHNESS:
            return {"State": "COMPLETE"}
        call.db.execute("DELETE FROM iam_credential_reports")
        call.db.execute("INSERT INTO iam_credential_reports VALUES (?, ?)", [call.time, self._report(call)])
        if last is None:
            return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}
        return {"State": "STARTED"}

    def get_credential_report(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = call.db.execute("SELECT generated_time, content FROM iam_credential_reports").fetchone()
        if row is None:
            raise AWSError("ReportNotPresent", "Credential report not present", 410)
        return {"Content": row[1].encode(), "ReportFormat": "text/csv", "GeneratedTime": row[0]}

    def _report(self, call: Call) -> str:
        db = call.db
        rows = db.execute("""
            SELECT u.user_name, u.arn, u.create_date, p.user_name IS NOT NULL, u.password_last_used, p.create_date,
                   EXISTS (SELECT 1 FROM iam_mfa_devices m WHERE m.user_name = u.user_name)
            FROM iam_users u LEFT JOIN iam_login_profiles p ON p.user_name = u.user_name
            ORDER BY lower(u.user_name)""").fetchall()
        keys = db.execute("SELECT user_name, status, create_date, last_used_date, last_used_region, "
                          "last_used_service FROM iam_access_keys WHERE deleted_date IS NULL "
                          "ORDER BY create_date, access_key_id").fetchall()
        policy = db.execute("SELECT settings->>'MaxPasswordAge' FROM iam_password_policy").fetchone()
        max_age = int(policy[0]) if policy and policy[0] else 0
        root_mfa = db.execute("SELECT count(*) FROM iam_mfa_devices WHERE root").fetchone()[0] > 0
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)

        def key_columns(owner: str | None) -> list[str]:
            mine = [k for k in keys if k[0] == owner][:2]
            cells: list[str] = []
            for index in range(2):
                if index < len(mine):
                    _, status, created, used, region, service = mine[index]
                    cells += [str(status == "Active").lower(), _iso(created), _iso(used), region or "N/A",
                              service or "N/A"]
                else:
                    cells += ["false", "N/A", "N/A", "N/A", "N/A"]
            return cells

        root_used = db.execute("SELECT max(password_last_used) FROM iam_root").fetchone()[0]
        writer.writerow(["<root_account>", f"arn:aws:iam::{call.account_id}:root", _iso(call.lab.start),
                         "not_supported", _iso(root_used, "no_information"), "not_supported", "not_supported",
                         str(root_mfa).lower()] + key_columns(None) + ["false", "N/A", "false", "N/A"])
        for name, arn, created, has_password, used, changed, mfa in rows:
            next_rotation = _iso(changed + timedelta(days=max_age)) if has_password and max_age else "N/A"
            writer.writerow([name, arn, _iso(created), str(has_password).lower(),
                             _iso(used, "no_information") if has_password else "N/A",
                             _iso(changed) if has_password else "N/A", next_rotation, str(mfa).lower()]
                            + key_columns(name) + ["false", "N/A", "false", "N/A"])
        return out.getvalue()
