"""The CloudTrail record table: one shape for the lab's own events and for real exported logs.

``cloudtrail_events`` holds one row per CloudTrail record: typed columns for what analysts
filter on, identity columns derived the same way for every ``userIdentity`` type, the
free-form parts (``requestParameters``, ``responseElements``, …) as JSON because they drift by
service and version, the raw record, and provenance (which file, which record in it).

``NORMALISE_SQL`` turns any relation with columns ``record JSON, source_file VARCHAR,
source_index BIGINT`` into rows of that table; the lab's CloudTrail and ``awslab.trail.load``
both use it, so the two can never disagree.

Record fields: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
"""

from __future__ import annotations

EVENTS_TABLE = "cloudtrail_events"

EVENT_VERSION = "1.11"
"""The eventVersion the lab writes (the current one per the record-contents page)."""

EVENTS_COLUMNS: list[tuple[str, str, str]] = [
    ("event_id", "VARCHAR", "eventID, the record's GUID"),
    ("event_time", "TIMESTAMPTZ", "eventTime, when the request completed (UTC)"),
    ("event_version", "VARCHAR", "eventVersion, e.g. 1.08 (compare parts as integers)"),
    ("event_source", "VARCHAR", "eventSource, e.g. monitoring.amazonaws.com"),
    ("event_name", "VARCHAR", "eventName, the API action"),
    ("aws_region", "VARCHAR", "awsRegion"),
    ("source_ip_address", "VARCHAR", "sourceIPAddress: an IP, a service DNS name or 'AWS Internal'"),
    ("user_agent", "VARCHAR", "userAgent"),
    ("error_code", "VARCHAR", "errorCode, null when the call succeeded"),
    ("error_message", "VARCHAR", "errorMessage"),
    ("read_only", "BOOLEAN", "readOnly"),
    ("event_type", "VARCHAR", "eventType: AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, …"),
    ("event_category", "VARCHAR", "eventCategory: Management, Data, NetworkActivity, Insight"),
    ("management_event", "BOOLEAN", "managementEvent"),
    ("recipient_account_id", "VARCHAR", "recipientAccountId"),
    ("request_id", "VARCHAR", "requestID"),
    ("shared_event_id", "VARCHAR", "sharedEventID"),
    ("vpc_endpoint_id", "VARCHAR", "vpcEndpointId"),
    ("tls_version", "VARCHAR", "tlsDetails.tlsVersion"),
    ("tls_cipher_suite", "VARCHAR", "tlsDetails.cipherSuite"),
    ("tls_host", "VARCHAR", "tlsDetails.clientProvidedHostHeader"),
    ("session_credential_from_console", "BOOLEAN", "sessionCredentialFromConsole"),
    ("identity_type", "VARCHAR", "userIdentity.type (null on some AwsServiceEvent records)"),
    ("identity_arn", "VARCHAR", "userIdentity.arn"),
    ("identity_account_id", "VARCHAR", "userIdentity.accountId"),
    ("identity_principal_id", "VARCHAR", "userIdentity.principalId"),
    ("identity_user_name", "VARCHAR", "userIdentity.userName"),
    ("access_key_id", "VARCHAR", "userIdentity.accessKeyId"),
    ("session_issuer_type", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.type"),
    ("session_issuer_arn", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.arn"),
    ("session_issuer_name", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.userName"),
    ("invoked_by", "VARCHAR", "userIdentity.invokedBy"),
    ("mfa_authenticated", "BOOLEAN", "userIdentity.sessionContext.attributes.mfaAuthenticated"),
    ("actor", "VARCHAR", "a readable name for who acted: root, the user, role/session, the service, …"),
    ("request_parameters", "JSON", "requestParameters"),
    ("response_elements", "JSON", "responseElements"),
    ("additional_event_data", "JSON", "additionalEventData"),
    ("resources", "JSON", "resources"),
    ("service_event_details", "JSON", "serviceEventDetails"),
    ("record", "JSON", "the whole record as received"),
    ("source_file", "VARCHAR", "where the record came from: a file path, or 'lab' for the lab's own calls"),
    ("source_index", "BIGINT", "the record's position in its file (0-based)"),
]

CREATE_EVENTS_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (\n"
    + ",\n".join(f"    {name} {kind}" for name, kind, _ in EVENTS_COLUMNS)
    + "\n)"
)

# Each column's expression over a relation with `record JSON`; identity fields come from `ui`.
_ACTOR = """
    CASE coalesce(ui->>'type', '')
        WHEN 'Root' THEN 'root'
        WHEN 'IAMUser' THEN coalesce(ui->>'userName', regexp_extract(ui->>'arn', 'user/(.*)$', 1))
        WHEN 'AssumedRole' THEN coalesce(
            nullif(regexp_extract(ui->>'arn', 'assumed-role/(.*)$', 1), ''),
            ui->>'$.sessionContext.sessionIssuer.userName', ui->>'principalId')
        WHEN 'FederatedUser' THEN coalesce(
            nullif(regexp_extract(ui->>'arn', 'federated-user/(.*)$', 1), ''), ui->>'principalId')
        WHEN 'AWSService' THEN ui->>'invokedBy'
        WHEN 'AWSAccount' THEN coalesce(ui->>'accountId', ui->>'principalId')
        WHEN 'IdentityCenterUser' THEN coalesce(ui->>'$.onBehalfOf.userId', ui->>'principalId')
        WHEN '' THEN coalesce(ui->>'invokedBy', ui->>'accountId')
        ELSE coalesce(ui->>'userName', ui->>'arn', ui->>'principalId', ui->>'invokedBy')
    END"""

_EXPRESSIONS = {
    "event_id": "record->>'eventID'",
    "event_time": "TRY_CAST(record->>'eventTime' AS TIMESTAMPTZ)",
    "event_version": "record->>'eventVersion'",
    "event_source": "record->>'eventSource'",
    "event_name": "record->>'eventName'",
    "aws_region": "record->>'awsRegion'",
    "source_ip_address": "record->>'sourceIPAddress'",
    "user_agent": "record->>'userAgent'",
    "error_code": "record->>'errorCode'",
    "error_message": "record->>'errorMessage'",
    "read_only": "TRY_CAST(record->>'readOnly' AS BOOLEAN)",
    "event_type": "record->>'eventType'",
    "event_category": "coalesce(record->>'eventCategory', CASE WHEN record->>'eventType' = 'AwsCloudTrailInsight' THEN 'Insight' ELSE 'Management' END)",
    "management_event": "TRY_CAST(record->>'managementEvent' AS BOOLEAN)",
    "recipient_account_id": "record->>'recipientAccountId'",
    "request_id": "record->>'requestID'",
    "shared_event_id": "record->>'sharedEventID'",
    "vpc_endpoint_id": "record->>'vpcEndpointId'",
    "tls_version": "record->>'$.tlsDetails.tlsVersion'",
    "tls_cipher_suite": "record->>'$.tlsDetails.cipherSuite'",
    "tls_host": "record->>'$.tlsDetails.clientProvidedHostHeader'",
    "session_credential_from_console": "TRY_CAST(record->>'sessionCredentialFromConsole' AS BOOLEAN)",
    "identity_type": "ui->>'type'",
    "identity_arn": "ui->>'arn'",
    "identity_account_id": "ui->>'accountId'",
    "identity_principal_id": "ui->>'principalId'",
    "identity_user_name": "ui->>'userName'",
    "access_key_id": "ui->>'accessKeyId'",
    "session_issuer_type": "ui->>'$.sessionContext.sessionIssuer.type'",
    "session_issuer_arn": "ui->>'$.sessionContext.sessionIssuer.arn'",
    "session_issuer_name": "ui->>'$.sessionContext.sessionIssuer.userName'",
    "invoked_by": "ui->>'invokedBy'",
    "mfa_authenticated": "TRY_CAST(ui->>'$.sessionContext.attributes.mfaAuthenticated' AS BOOLEAN)",
    "actor": _ACTOR,
    "request_parameters": "record->'requestParameters'",
    "response_elements": "record->'responseElements'",
    "additional_event_data": "record->'additionalEventData'",
    "resources": "record->'resources'",
    "service_event_details": "record->'serviceEventDetails'",
    "record": "record",
    "source_file": "source_file",
    "source_index": "source_index",
}

NORMALISE_SQL = (
    "SELECT\n"
    + ",\n".join(f"    {_EXPRESSIONS[name]} AS {name}" for name, _, _ in EVENTS_COLUMNS)
    + "\nFROM (SELECT *, record->'userIdentity' AS ui FROM {source})"
)
"""SELECT producing ``cloudtrail_events`` rows; format ``{source}`` with a relation name or subquery."""


def normalise_sql(source: str) -> str:
    """``NORMALISE_SQL`` over ``source`` (a table name or a parenthesised subquery)."""
    return NORMALISE_SQL.replace("{source}", source)
