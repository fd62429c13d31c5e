"""One record in, one row out: the normalisation shared by the lab and the loader.

Identity shapes are the examples of the userIdentity page
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html);
field names and versions are from the record-contents page
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.records import CREATE_EVENTS_TABLE, EVENTS_COLUMNS, normalise_sql

SINGLE = normalise_sql("(SELECT ?::JSON AS record, 'test' AS source_file, 0::BIGINT AS source_index)")


CON = duckdb.connect()
CON.execute("SET TimeZone = 'UTC'")
CON.execute(CREATE_EVENTS_TABLE)


def row(record: dict | str) -> dict:
    """Normalise one record, as the lab does for each call it answers."""
    con = CON
    con.execute("DELETE FROM cloudtrail_events").fetchall()
    text = record if isinstance(record, str) else json.dumps(record)
    con.execute(f"INSERT INTO cloudtrail_events {SINGLE}", [text]).fetchall()
    relation = con.sql("SELECT * FROM cloudtrail_events")
    values = relation.fetchall()[0]
    return dict(zip(relation.columns, values))


ALICE = {"type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE", "arn": "arn:aws:iam::123456789012:user/Alice",
         "accountId": "123456789012", "accessKeyId": "", "userName": "Alice"}
ASSUMED = {"type": "AssumedRole", "principalId": "AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName",
           "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
           "accountId": "123456789012", "accessKeyId": "",
           "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAIDPPEZS35WEXAMPLE",
                                                "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                                                "accountId": "123456789012", "userName": "RoleToBeAssumed"},
                              "attributes": {"mfaAuthenticated": "false", "creationDate": "2013-11-02T01:06:28Z"}}}
IDENTITY_CENTER = {"type": "IdentityCenterUser", "accountId": "123456789012",
                   "onBehalfOf": {"userId": "544894e8-80c1-707f-60e3-3ba6510dfac1",
                                  "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"},
                   "credentialId": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"}


@pytest.mark.parametrize("identity, actor, kind", [
    (ALICE, "Alice", "IAMUser"),
    (ASSUMED, "RoleToBeAssumed/MySessionName", "AssumedRole"),
    ({"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root",
      "accountId": "123456789012"}, "root", "Root"),
    ({"type": "AWSService", "invokedBy": "rds.amazonaws.com"}, "rds.amazonaws.com", "AWSService"),
    ({"type": "FederatedUser", "principalId": "123456789012:Bob",
      "arn": "arn:aws:sts::123456789012:federated-user/Bob", "accountId": "123456789012"},
     "federated-user/Bob", "FederatedUser"),
    ({"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"},
     "account/444455556666", "AWSAccount"),
    (IDENTITY_CENTER, "identity-center/544894e8-80c1-707f-60e3-3ba6510dfac1", "IdentityCenterUser"),
    ({"type": "SAMLUser", "principalId": "SAMLExample:Bob", "userName": "Bob"}, "Bob", "SAMLUser"),
    ({"accountId": "123837392027", "invokedBy": "secretsmanager.amazonaws.com"},
     "secretsmanager.amazonaws.com", None),  # AwsServiceEvent records often have no type
])
def test_actor_is_derived_the_same_way_for_every_identity_type(identity, actor, kind):
    values = row({"eventVersion": "1.08", "userIdentity": identity, "eventTime": "2026-01-01T00:00:00Z"})
    assert (values["actor"], values["identity_type"]) == (actor, kind)


def test_assumed_role_columns_come_from_the_session_context():
    values = row({"eventVersion": "1.08", "userIdentity": ASSUMED})
    assert values["session_name"] == "MySessionName"
    assert values["session_issuer_arn"] == "arn:aws:iam::123456789012:role/RoleToBeAssumed"
    assert values["session_issuer_name"] == "RoleToBeAssumed"
    assert values["session_issuer_account_id"] == "123456789012"
    assert values["mfa_authenticated"] is False  # a string "false" in the record
    assert values["session_created"] == datetime(2013, 11, 2, 1, 6, 28, tzinfo=timezone.utc)


def test_identity_center_columns():
    values = row({"eventVersion": "1.11", "userIdentity": IDENTITY_CENTER})
    assert values["on_behalf_of_user_id"] == "544894e8-80c1-707f-60e3-3ba6510dfac1"
    assert values["identity_store_arn"].endswith("identitystore/d-9067642ac7")
    assert values["credential_id"].startswith("EXAMPLE")


def test_typed_columns_and_free_form_json():
    record = {"eventVersion": "1.09", "userIdentity": ALICE, "eventTime": "2023-07-10T11:42:36Z",
              "eventSource": "s3.amazonaws.com", "eventName": "GetBucketAcl", "awsRegion": "us-east-1",
              "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli/2", "readOnly": True,
              "requestParameters": {"bucketName": "b", "Host": "b.s3.amazonaws.com", "acl": ""},
              "responseElements": None, "eventType": "AwsApiCall", "managementEvent": True,
              "recipientAccountId": "123456789012", "eventCategory": "Management",
              "tlsDetails": {"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                             "clientProvidedHostHeader": "b.s3.amazonaws.com"},
              "sessionCredentialFromConsole": "true", "vpcEndpointId": "vpce-1", "vpcEndpointAccountId": "123456789012"}
    values = row(record)
    assert values["event_time"] == datetime(2023, 7, 10, 11, 42, 36, tzinfo=timezone.utc)
    assert values["read_only"] is True and values["management_event"] is True
    assert values["session_credential_from_console"] is True
    assert (values["tls_version"], values["tls_host"]) == ("TLSv1.2", "b.s3.amazonaws.com")
    assert json.loads(values["request_parameters"])["bucketName"] == "b"
    assert values["response_elements"] is None  # JSON null is SQL NULL
    assert json.loads(values["record"]) == record
    assert (values["vpc_endpoint_id"], values["vpc_endpoint_account_id"]) == ("vpce-1", "123456789012")


def test_console_sign_in_mfa_and_event_type_casing():
    """Older documentation examples write AwsConsoleSignin; current records AwsConsoleSignIn."""
    values = row({"eventVersion": "1.05", "userIdentity": ALICE, "eventType": "AwsConsoleSignin",
                  "eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "Yes"},
                  "responseElements": {"ConsoleLogin": "Success"}})
    assert values["event_type"] == "AwsConsoleSignIn"
    assert values["mfa_used"] is True


@pytest.mark.parametrize("record, category", [
    ({"eventVersion": "1.05", "eventType": "AwsApiCall"}, "Management"),
    ({"eventVersion": "1.06", "eventType": "AwsApiCall", "managementEvent": False}, "Data"),
    ({"eventVersion": "1.07", "eventType": "AwsCloudTrailInsight"}, "Insight"),
    ({"eventVersion": "1.09", "eventType": "AwsVpceEvent", "eventCategory": "NetworkActivity"}, "NetworkActivity"),
])
def test_event_category_for_records_before_1_07(record, category):
    """eventCategory appeared in 1.07: older records get it from eventType and managementEvent."""
    assert row(record)["event_category"] == category


def test_version_1_0_record_lacking_fields_loads_without_loss():
    """eventVersion 1.0 had no eventID, readOnly, eventType or recipientAccountId."""
    record = {"eventVersion": "1.0", "userIdentity": ALICE, "eventTime": "2014-03-06T21:22:54Z",
              "eventSource": "ec2.amazonaws.com", "eventName": "StartInstances", "awsRegion": "us-east-2",
              "sourceIPAddress": "205.251.233.176", "userAgent": "ec2-api-tools 1.6.12.2",
              "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-ebeaf9e2"}]}}}
    values = row(record)
    assert values["event_id"] is None and values["read_only"] is None and values["event_type"] is None
    assert values["actor"] == "Alice"
    assert json.loads(values["record"]) == record


def test_columns_are_documented():
    """Every column has a description: they feed docs/tables.md."""
    assert all(description for _, _, description in EVENTS_COLUMNS)
    assert [name for name, _, _ in EVENTS_COLUMNS][:2] == ["event_id", "event_time"]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=12)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["eventVersion", "eventTime", "userIdentity", "readOnly", "eventType",
                                        "requestParameters", "tlsDetails", "additionalEventData", "x"]),
                       json_values, max_size=6))
def test_any_object_normalises_without_error(record):
    """Whatever the field values, normalisation produces one row and keeps the record."""
    values = row(record)
    assert json.loads(values["record"]) == record
