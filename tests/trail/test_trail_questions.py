"""The question catalogue, each question checked on data whose answer is known.

The generated trail (awslab.trail.generate) mixes a fixed set of incidents into quiet base traffic
and says what each question must find; the real samples carry known events too: invictus-ir has
one console sign-in with MFA and one without and CloudTrail stopped three times, and each Stratus
Red Team log is labelled with the technique it detonated.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from awslab.trail import catalogue

UTC = timezone.utc


def rows(events, name: str, **params) -> list[dict]:
    relation = events.ask(name, **params)
    return [dict(zip(relation.columns, values)) for values in relation.fetchall()]


# --- one check per question, on the generated trail ---------------------------------------------

def check_root_usage(g, ev):
    found = rows(ev, "root_usage")
    assert sum(r["calls"] for r in found) == g.expected["root_usage"]["calls"]
    assert {r["event_name"] for r in found} == g.expected["root_usage"]["events"]


def check_console_logins_without_mfa(g, ev):
    assert sorted(r["actor"] for r in rows(ev, "console_logins_without_mfa")) == sorted(
        g.expected["console_logins_without_mfa"]["actors"])


def check_failed_console_logins(g, ev):
    found = rows(ev, "failed_console_logins")
    assert sum(r["failures"] for r in found) == g.expected["failed_console_logins"]["failures"]
    top = found[0]
    assert (top["user_name"], top["source_ip_address"], top["failures"]) == g.expected["failed_console_logins"]["top"]


def check_password_spraying(g, ev):
    found = {r["pattern"]: (r["source_ip_address"], r["users"] if r["pattern"] == "spraying" else r["failures"])
             for r in rows(ev, "password_spraying")}
    assert found == {"spraying": g.expected["password_spraying"]["spraying"],
                     "brute force": g.expected["password_spraying"]["brute_force"]}
    assert rows(ev, "password_spraying", min_users=6, min_failures=13) == []


def check_cloudtrail_tampering(g, ev):
    found = rows(ev, "cloudtrail_tampering")
    assert [r["event_name"] for r in found] == g.expected["cloudtrail_tampering"]["events"]
    assert [r["effect"] for r in found] == ["logging stopped", "selectors changed", "deleted"]


def check_access_denied(g, ev):
    found = rows(ev, "access_denied")
    assert sum(r["denied"] for r in found) == g.expected["access_denied"]["total"]
    assert sum(r["denied"] for r in found if r["actor"] == "mallory") == g.expected["access_denied"]["mallory"]


def check_access_denied_spikes(g, ev):
    found = rows(ev, "access_denied_spikes")
    assert sum(r["denied"] for r in found) == g.expected["access_denied_spikes"]["denied"]
    assert any(r["spike"] for r in found)
    assert all(r["spike"] == (r["denied"] >= 10 or (r["z_score"] or 0) >= 3) for r in found)


def check_error_codes(g, ev):
    found = rows(ev, "error_codes")
    total = ev.sql("SELECT count(*) FROM cloudtrail_events WHERE error_code IS NOT NULL").fetchall()[0][0]
    assert sum(r["errors"] for r in found) == total
    assert [r["errors"] for r in found] == sorted((r["errors"] for r in found), reverse=True)


def check_iam_policy_changes(g, ev):
    assert [r["event_name"] for r in rows(ev, "iam_policy_changes")] == g.expected["iam_policy_changes"]["events"]


def check_new_users_and_keys(g, ev):
    found = rows(ev, "new_users_and_keys")
    assert [r["event_name"] for r in found] == g.expected["new_users_and_keys"]["events"]
    assert {r["new_access_key_id"] for r in found} - {None} == {g.expected["new_users_and_keys"]["key"]}
    assert all(r["user_name"] == "backdoor" and r["for_another_user"] for r in found)


def check_security_group_changes(g, ev):
    found = rows(ev, "security_group_changes")
    assert len(found) == g.expected["security_group_changes"]["rows"]
    assert [(r["from_port"], r["open_to_world"]) for r in found] == [("22", True), ("443", False)]


def check_network_changes(g, ev):
    found = rows(ev, "network_changes")
    per_category: dict[str, int] = {}
    for r in found:
        per_category[r["category"]] = per_category.get(r["category"], 0) + r["changes"]
    assert per_category == g.expected["network_changes"]


def check_s3_bucket_policy_changes(g, ev):
    found = rows(ev, "s3_bucket_policy_changes")
    assert len(found) == 2 and [r["public_access_weakened"] for r in found] == [False, True]


def check_unused_regions(g, ev):
    found = rows(ev, "unused_regions", allowed_regions=list(g.regions))
    assert [(r["aws_region"], r["calls"]) for r in found] == [
        (g.expected["unused_regions"]["region"], g.expected["unused_regions"]["calls"])]
    assert found[0]["outside_allowed"] is True
    assert len(rows(ev, "unused_regions")) == len(g.regions) + 1


def check_top_talkers(g, ev):
    found = rows(ev, "top_talkers", limit=5)
    assert len(found) == 5 and found[0]["calls"] >= found[-1]["calls"]
    everyone = rows(ev, "top_talkers", limit=1000)
    assert sum(r["calls"] for r in everyone) == len(ev)


def check_top_api_calls(g, ev):
    assert sum(r["calls"] for r in rows(ev, "top_api_calls", limit=100000)) == len(ev)
    assert len(rows(ev, "top_api_calls", limit=3)) == 3


def check_ip_activity(g, ev):
    expected = g.expected["ip_activity"]
    found = rows(ev, "ip_activity", ip=expected["ip"])
    assert len(found) == expected["calls"] and {r["actor"] for r in found} == {"mallory"}


def check_access_key_activity(g, ev):
    expected = g.expected["access_key_activity"]
    assert len(rows(ev, "access_key_activity", access_key_id=expected["access_key_id"])) == expected["calls"]


def check_cross_account_access(g, ev):
    found = rows(ev, "cross_account_access")
    assert [(r["identity_account_id"], r["calls"]) for r in found] == [
        (g.expected["cross_account_access"]["account"], g.expected["cross_account_access"]["calls"])]


def check_console_write_activity(g, ev):
    assert [r["event_name"] for r in rows(ev, "console_write_activity")] == g.expected["console_write_activity"]["events"]


def check_secret_retrieval(g, ev):
    [found] = [r for r in rows(ev, "secret_retrieval") if r["mass_retrieval"]]
    assert (found["actor"], found["items"]) == (g.expected["secret_retrieval"]["actor"], g.expected["secret_retrieval"]["items"])
    assert not any(r["mass_retrieval"] for r in rows(ev, "secret_retrieval", min_items=13))


def check_ec2_credential_access(g, ev):
    found = {r["kind"]: r["calls"] for r in rows(ev, "ec2_credential_access")}
    assert found == g.expected["ec2_credential_access"]


def check_snapshot_sharing(g, ev):
    found = rows(ev, "snapshot_sharing")
    assert [(r["shared_with"], r["public"]) for r in found] == [
        ([g.expected["snapshot_sharing"]["shared_with"]], False), ([], True)]


def check_kms_key_deletion(g, ev):
    [found] = rows(ev, "kms_key_deletion")
    assert (found["event_name"], found["pending_window_days"]) == ("ScheduleKeyDeletion", "7")


def check_security_tooling_disabled(g, ev):
    assert sorted(r["tool"] for r in rows(ev, "security_tooling_disabled")) == g.expected["security_tooling_disabled"]["tools"]


def check_principal_timeline(g, ev):
    expected = g.expected["principal_timeline"]
    found = rows(ev, "principal_timeline", principal=expected["principal"])
    assert len(found) == expected["calls"]
    assert [r["event_time"] for r in found] == sorted(r["event_time"] for r in found)
    arn = f"arn:aws:iam::{g.accounts[0]}:user/mallory"
    assert len(rows(ev, "principal_timeline", principal=arn)) == expected["calls"]


def check_organization_changes(g, ev):
    [found] = rows(ev, "organization_changes")
    assert found["leaves_organization"] and not found["succeeded"]


def check_tls_versions(g, ev):
    found = rows(ev, "tls_versions")
    assert [r["tls_version"] for r in found if r["outdated"]] == ["TLSv1"]
    assert sum(r["calls"] for r in found) == len(ev)


def check_role_assumptions(g, ev):
    [found] = rows(ev, "role_assumptions")
    assert (found["role_arn"], found["calls"], found["self_assume"]) == (
        g.expected["role_assumptions"]["role"], g.expected["role_assumptions"]["calls"], False)


def check_activity_over_time(g, ev):
    found = rows(ev, "activity_over_time", bucket_minutes=15)
    assert sum(r["calls"] for r in found) == len(ev)
    assert len(found) == 4  # one generated hour in 15-minute buckets


def check_identities(g, ev):
    found = {r["identity_type"]: r["calls"] for r in rows(ev, "identities")}
    assert sum(found.values()) == len(ev)
    assert {"Root", "IAMUser", "AssumedRole"} <= set(found)


def check_unusual_call_rate(g, ev):
    top = rows(ev, "unusual_call_rate")[0]
    assert top["event_name"] == g.expected["unusual_call_rate"]["event"]
    assert top["calls"] >= g.expected["unusual_call_rate"]["calls"]


def check_lambda_changes(g, ev):
    assert [r["function_name"] for r in rows(ev, "lambda_changes")] == ["billing"]


def check_remote_access(g, ev):
    assert [(r["event_name"], r["calls"]) for r in rows(ev, "remote_access")] == [("SendCommand", 1)]


CHECKS = {name.removeprefix("check_"): check for name, check in list(globals().items()) if name.startswith("check_")}


def test_every_question_has_a_check():
    assert set(CHECKS) == set(catalogue())


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_question_on_generated_trail(name, generated, generated_events):
    CHECKS[name](generated, generated_events)


# --- on the real samples --------------------------------------------------------------------------

def test_invictus_console_logins(samples):
    """invictus-ir has two ConsoleLogin records, one with MFAUsed Yes (bert-jan) and one without."""
    found = rows(samples, "console_logins_without_mfa")
    assert [r["actor"] for r in found if r["aws_region"] == "us-east-1"] == ["stratus-red-team-nmfalu-gfjyeaypjt"]


def test_invictus_cloudtrail_tampering_counts(samples):
    """StopLogging x3, DeleteTrail x3 and PutEventSelectors x2 in invictus-ir, once each in Stratus."""
    counts: dict[str, int] = {}
    for r in rows(samples, "cloudtrail_tampering"):
        counts[r["event_name"]] = counts.get(r["event_name"], 0) + 1
    assert counts["StopLogging"] == 4 and counts["DeleteTrail"] == 4 and counts["PutEventSelectors"] == 3


@pytest.mark.parametrize("technique, question, check", [
    ("defense-evasion.cloudtrail-stop", "cloudtrail_tampering", lambda r: [x["event_name"] for x in r] == ["StopLogging"]),
    ("defense-evasion.cloudtrail-delete", "cloudtrail_tampering", lambda r: [x["effect"] for x in r] == ["deleted"]),
    ("defense-evasion.cloudtrail-event-selectors", "cloudtrail_tampering",
     lambda r: [x["effect"] for x in r] == ["selectors changed"]),
    ("initial-access.console-login-without-mfa", "console_logins_without_mfa", lambda r: len(r) == 1),
    ("exfiltration.ec2-security-group-open-port-22-ingress", "security_group_changes",
     lambda r: [(x["from_port"], x["open_to_world"]) for x in r] == [("22", True)]),
    ("exfiltration.ec2-share-ebs-snapshot", "snapshot_sharing", lambda r: r[0]["shared_with"] == ["098797384747"]),
    ("exfiltration.ec2-share-ami", "snapshot_sharing", lambda r: r[0]["shared_with"] == ["846424999548"]),
    ("exfiltration.rds-share-snapshot", "snapshot_sharing", lambda r: r[0]["shared_with"] == ["503161813013"]),
    ("credential-access.ec2-get-password-data", "ec2_credential_access",
     lambda r: [(x["kind"], x["calls"], x["errors"]) for x in r] == [("password data", 30, 30)]),
    ("discovery.ec2-download-user-data", "ec2_credential_access", lambda r: [x["kind"] for x in r] == ["user data"]),
    ("credential-access.ec2-steal-instance-credentials", "ec2_credential_access",
     lambda r: [(x["kind"], x["source_ip_address"], x["calls"]) for x in r] == [("instance credentials", "18.236.253.47", 2)]),
    ("credential-access.secretsmanager-retrieve-secrets", "secret_retrieval",
     lambda r: r[0]["mass_retrieval"] and r[0]["calls"] == 20),
    ("credential-access.secretsmanager-batch-retrieve-secrets", "secret_retrieval", lambda r: r[0]["batch_calls"] == 5),
    ("credential-access.ssm-retrieve-securestring-parameters", "secret_retrieval",
     lambda r: r[0]["event_source"] == "ssm.amazonaws.com" and r[0]["calls"] == 5),
    ("defense-evasion.vpc-remove-flow-logs", "security_tooling_disabled", lambda r: r[0]["tool"] == "VPC flow logs"),
    ("defense-evasion.dns-delete-logs", "security_tooling_disabled", lambda r: r[0]["tool"] == "DNS query logs"),
    ("defense-evasion.organizations-leave", "organization_changes", lambda r: r[0]["leaves_organization"]),
    ("persistence.iam-create-admin-user", "new_users_and_keys",
     lambda r: sorted(x["event_name"] for x in r) == ["CreateAccessKey", "CreateUser"]),
    ("persistence.iam-create-admin-user", "iam_policy_changes", lambda r: [x["event_name"] for x in r] == ["AttachUserPolicy"]),
    ("persistence.iam-backdoor-role", "iam_policy_changes", lambda r: [x["event_name"] for x in r] == ["UpdateAssumeRolePolicy"]),
    ("persistence.iam-create-user-login-profile", "new_users_and_keys",
     lambda r: [x["event_name"] for x in r] == ["CreateLoginProfile"]),
    ("privilege-escalation.iam-update-user-login-profile", "new_users_and_keys",
     lambda r: [x["event_name"] for x in r] == ["UpdateLoginProfile"]),
    ("persistence.sts-federation-token", "role_assumptions", lambda r: r[0]["event_name"] == "GetFederationToken"),
    ("persistence.lambda-overwrite-code", "lambda_changes", lambda r: len(r) == 1),
    ("persistence.lambda-backdoor-function", "lambda_changes", lambda r: r[0]["event_name"].startswith("AddPermission")),
    ("execution.ssm-send-command", "remote_access", lambda r: [x["event_name"] for x in r] == ["SendCommand"]),
    ("lateral-movement.ec2-instance-connect", "remote_access", lambda r: r[0]["calls"] == 3),
])
def test_stratus_technique_is_found(stratus, technique, question, check):
    """Each Stratus Red Team detonation log is found by the question made for its technique."""
    found = rows(stratus(technique), question)
    assert found and check(found), found


# --- the catalogue itself ---------------------------------------------------------------------------

def test_catalogue_has_at_least_25_named_questions_with_purpose_and_anchor():
    questions = catalogue()
    assert len(questions) >= 25
    for name, question in questions.items():
        assert name == question.name and name.islower() and " " not in name
        assert question.purpose and question.anchor and question.sql.lstrip().upper().startswith(("SELECT", "WITH"))


def test_sql_for_shows_the_sql_and_questions_lists_them(samples):
    assert "userIdentity.type" not in samples.sql_for("root_usage")
    assert "identity_type = 'Root'" in samples.sql_for("root_usage")
    assert [q.name for q in samples.questions()] == sorted(catalogue())


def test_parameters_are_checked_like_a_function_call(samples):
    with pytest.raises(TypeError, match="needs the parameter 'ip'"):
        samples.ask("ip_activity")
    with pytest.raises(TypeError, match="unexpected parameter"):
        samples.ask("root_usage", colour="red")
    with pytest.raises(KeyError, match="no question named"):
        samples.ask("who_did_it")


def test_start_and_end_narrow_any_question(generated_events):
    whole = len(generated_events)
    half = rows(generated_events, "top_talkers", limit=1000, start="2026-01-01T00:30:00Z")
    before = rows(generated_events, "top_talkers", limit=1000, end=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    assert sum(r["calls"] for r in half) + sum(r["calls"] for r in before) == whole
    assert 0 < sum(r["calls"] for r in half) < whole


def test_any_sql_runs_over_the_loaded_tables(samples):
    assert samples.sql("SELECT count(*) FROM cloudtrail_events WHERE event_source = $s",
                       s="iam.amazonaws.com").fetchall() == [(398 + 10,)]
