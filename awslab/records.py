"""The CloudTrail record table: one shape for the lab's own events and for real exported logs.

``cloudtrail_events`` holds one row per CloudTrail record: typed columns for what analysts
filter on, identity columns derived the same way for every ``userIdentity`` type, the
free-form parts (``requestParameters``, ``responseElements``, …) as JSON because they drift by
service and version, the raw record, and provenance (which file, which record in it).

``normalise_sql(source)`` turns any relation with columns ``record JSON, source_file VARCHAR,
source_index BIGINT`` into rows of that table; the lab's CloudTrail and ``awslab.trail.load``
both use it, so the two can never disagree.

Speed: every scalar column comes from *one* ``json_extract_string(record, [paths…])`` call and
every JSON column from one ``json_extract(record, [paths…])`` call, so each record is parsed
twice in total instead of once per column (about three times faster on real trails).

Record fields: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
userIdentity: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
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
    ("read_only", "BOOLEAN", "readOnly (a JSON boolean in log files, a string in LookupEvents)"),
    ("event_type", "VARCHAR", "eventType: AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, … (known values in canonical case)"),
    ("event_category", "VARCHAR", "eventCategory: Management, Data, NetworkActivity, Insight (derived for records before 1.07)"),
    ("management_event", "BOOLEAN", "managementEvent"),
    ("recipient_account_id", "VARCHAR", "recipientAccountId, the account that received the event"),
    ("request_id", "VARCHAR", "requestID"),
    ("shared_event_id", "VARCHAR", "sharedEventID"),
    ("api_version", "VARCHAR", "apiVersion"),
    ("vpc_endpoint_id", "VARCHAR", "vpcEndpointId"),
    ("vpc_endpoint_account_id", "VARCHAR", "vpcEndpointAccountId"),
    ("tls_version", "VARCHAR", "tlsDetails.tlsVersion"),
    ("tls_cipher_suite", "VARCHAR", "tlsDetails.cipherSuite"),
    ("tls_host", "VARCHAR", "tlsDetails.clientProvidedHostHeader"),
    ("session_credential_from_console", "BOOLEAN", "sessionCredentialFromConsole (the string 'true' in records)"),
    ("identity_type", "VARCHAR", "userIdentity.type (null on some AwsServiceEvent records)"),
    ("identity_arn", "VARCHAR", "userIdentity.arn"),
    ("identity_account_id", "VARCHAR", "userIdentity.accountId"),
    ("identity_principal_id", "VARCHAR", "userIdentity.principalId"),
    ("identity_user_name", "VARCHAR", "userIdentity.userName"),
    ("access_key_id", "VARCHAR", "userIdentity.accessKeyId (empty string for console sign-in)"),
    ("session_name", "VARCHAR", "the role session name (AssumedRole) or federated user name, from the ARN"),
    ("session_issuer_type", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.type"),
    ("session_issuer_arn", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.arn"),
    ("session_issuer_name", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.userName"),
    ("session_issuer_account_id", "VARCHAR", "userIdentity.sessionContext.sessionIssuer.accountId"),
    ("session_created", "TIMESTAMPTZ", "userIdentity.sessionContext.attributes.creationDate"),
    ("source_identity", "VARCHAR", "userIdentity.sessionContext.sourceIdentity"),
    ("ec2_role_delivery", "VARCHAR", "userIdentity.sessionContext.ec2RoleDelivery: 1.0 (IMDSv1) or 2.0 (IMDSv2)"),
    ("invoked_by", "VARCHAR", "userIdentity.invokedBy"),
    ("identity_provider", "VARCHAR", "userIdentity.identityProvider, else sessionContext.webIdFederationData.federatedProvider"),
    ("on_behalf_of_user_id", "VARCHAR", "userIdentity.onBehalfOf.userId (IAM Identity Center user)"),
    ("identity_store_arn", "VARCHAR", "userIdentity.onBehalfOf.identityStoreArn"),
    ("credential_id", "VARCHAR", "userIdentity.credentialId"),
    ("mfa_authenticated", "BOOLEAN", "userIdentity.sessionContext.attributes.mfaAuthenticated"),
    ("mfa_used", "BOOLEAN", "additionalEventData.MFAUsed on console sign-in records ('Yes' → true)"),
    ("actor", "VARCHAR", "a readable name for who acted: root, the user, role/session, the service, …"),
    ("request_parameters", "JSON", "requestParameters (null when absent or JSON null)"),
    ("response_elements", "JSON", "responseElements"),
    ("additional_event_data", "JSON", "additionalEventData"),
    ("resources", "JSON", "resources: a list of {ARN, accountId, type}"),
    ("service_event_details", "JSON", "serviceEventDetails"),
    ("addendum", "JSON", "addendum: why delivery was late or data was updated"),
    ("insight_details", "JSON", "insightDetails, on Insights records"),
    ("record", "JSON", "the whole record as received"),
    ("source_file", "VARCHAR", "where the record came from: a file path, or 'lab' for the lab's own calls"),
    ("source_index", "BIGINT", "the record's position in its file (0-based)"),
]

# Stored JSON is long text with little repetition: zstd writes it about twice as fast as DuckDB's
# default choice of string compression, and smaller (measured on generated trails).
_ZSTD = {name for name, kind, _ in EVENTS_COLUMNS if kind == "JSON"}

CREATE_EVENTS_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (\n"
    + ",\n".join(f"    {name} {kind}" + (" USING COMPRESSION zstd" if name in _ZSTD else "")
                  for name, kind, _ in EVENTS_COLUMNS)
    + "\n)"
)

# The scalar fields read with one json_extract_string call; `s['name']` below is its position.
_SCALAR_PATHS: dict[str, str] = {
    "eventID": "$.eventID",
    "eventTime": "$.eventTime",
    "eventVersion": "$.eventVersion",
    "eventSource": "$.eventSource",
    "eventName": "$.eventName",
    "awsRegion": "$.awsRegion",
    "sourceIPAddress": "$.sourceIPAddress",
    "userAgent": "$.userAgent",
    "errorCode": "$.errorCode",
    "errorMessage": "$.errorMessage",
    "readOnly": "$.readOnly",
    "eventType": "$.eventType",
    "eventCategory": "$.eventCategory",
    "managementEvent": "$.managementEvent",
    "recipientAccountId": "$.recipientAccountId",
    "requestID": "$.requestID",
    "sharedEventID": "$.sharedEventID",
    "apiVersion": "$.apiVersion",
    "vpcEndpointId": "$.vpcEndpointId",
    "vpcEndpointAccountId": "$.vpcEndpointAccountId",
    "tlsVersion": "$.tlsDetails.tlsVersion",
    "cipherSuite": "$.tlsDetails.cipherSuite",
    "clientProvidedHostHeader": "$.tlsDetails.clientProvidedHostHeader",
    "sessionCredentialFromConsole": "$.sessionCredentialFromConsole",
    "type": "$.userIdentity.type",
    "arn": "$.userIdentity.arn",
    "accountId": "$.userIdentity.accountId",
    "principalId": "$.userIdentity.principalId",
    "userName": "$.userIdentity.userName",
    "accessKeyId": "$.userIdentity.accessKeyId",
    "invokedBy": "$.userIdentity.invokedBy",
    "identityProvider": "$.userIdentity.identityProvider",
    "credentialId": "$.userIdentity.credentialId",
    "onBehalfOfUserId": "$.userIdentity.onBehalfOf.userId",
    "identityStoreArn": "$.userIdentity.onBehalfOf.identityStoreArn",
    "issuerType": "$.userIdentity.sessionContext.sessionIssuer.type",
    "issuerArn": "$.userIdentity.sessionContext.sessionIssuer.arn",
    "issuerName": "$.userIdentity.sessionContext.sessionIssuer.userName",
    "issuerAccountId": "$.userIdentity.sessionContext.sessionIssuer.accountId",
    "creationDate": "$.userIdentity.sessionContext.attributes.creationDate",
    "mfaAuthenticated": "$.userIdentity.sessionContext.attributes.mfaAuthenticated",
    "sourceIdentity": "$.userIdentity.sessionContext.sourceIdentity",
    "ec2RoleDelivery": "$.userIdentity.sessionContext.ec2RoleDelivery",
    "federatedProvider": "$.userIdentity.sessionContext.webIdFederationData.federatedProvider",
    "MFAUsed": "$.additionalEventData.MFAUsed",
}
_JSON_PATHS: dict[str, str] = {
    "requestParameters": "$.requestParameters",
    "responseElements": "$.responseElements",
    "additionalEventData": "$.additionalEventData",
    "resources": "$.resources",
    "serviceEventDetails": "$.serviceEventDetails",
    "addendum": "$.addendum",
    "insightDetails": "$.insightDetails",
}
_S = {name: f"s[{i}]" for i, name in enumerate(_SCALAR_PATHS, start=1)}
_J = {name: f"nullif(j[{i}], 'null')" for i, name in enumerate(_JSON_PATHS, start=1)}

# AWS documents the casing AwsConsoleSignIn but old examples say AwsConsoleSignin; match in any case.
_EVENT_TYPES = ["AwsApiCall", "AwsServiceEvent", "AwsConsoleAction", "AwsConsoleSignIn",
                "AwsCloudTrailInsight", "AwsVpceEvent"]
_EVENT_TYPE = (
    f"CASE lower({_S['eventType']}) "
    + " ".join(f"WHEN '{t.lower()}' THEN '{t}'" for t in _EVENT_TYPES)
    + f" ELSE {_S['eventType']} END"
)

# Records before eventVersion 1.07 have no eventCategory: Insights are recognisable by type,
# data events by managementEvent = false (1.06+); everything else was a management event.
_EVENT_CATEGORY = f"""coalesce({_S['eventCategory']}, CASE
        WHEN lower({_S['eventType']}) = 'awscloudtrailinsight' THEN 'Insight'
        WHEN TRY_CAST({_S['managementEvent']} AS BOOLEAN) = false THEN 'Data'
        ELSE 'Management' END)"""

_SESSION_NAME = f"""CASE {_S['type']}
        WHEN 'AssumedRole' THEN nullif(regexp_extract({_S['arn']}, 'assumed-role/[^/]+/(.+)$', 1), '')
        WHEN 'FederatedUser' THEN nullif(regexp_extract({_S['arn']}, 'federated-user/(.+)$', 1), '')
    END"""

# One readable name per identity type, documented in docs/trail.md ("Who acted").
_ACTOR = f"""CASE coalesce({_S['type']}, '')
        WHEN 'Root' THEN 'root'
        WHEN 'IAMUser' THEN coalesce({_S['userName']},
            nullif(regexp_extract({_S['arn']}, '[^/]+$'), ''), {_S['principalId']})
        WHEN 'AssumedRole' THEN coalesce(
            nullif(regexp_extract({_S['arn']}, 'assumed-role/(.+)$', 1), ''),
            {_S['issuerName']}, {_S['principalId']})
        WHEN 'Role' THEN coalesce({_S['userName']},
            nullif(regexp_extract({_S['arn']}, '[^/]+$'), ''), {_S['principalId']})
        WHEN 'FederatedUser' THEN 'federated-user/' || coalesce(
            nullif(regexp_extract({_S['arn']}, 'federated-user/(.+)$', 1), ''),
            nullif(regexp_extract({_S['principalId']}, ':(.+)$', 1), ''), {_S['principalId']})
        WHEN 'AWSService' THEN coalesce({_S['invokedBy']}, 'AWS service')
        WHEN 'AWSAccount' THEN 'account/' || coalesce({_S['accountId']}, {_S['principalId']}, '?')
        WHEN 'IdentityCenterUser' THEN 'identity-center/' || coalesce(
            {_S['onBehalfOfUserId']}, {_S['userName']}, {_S['principalId']}, '?')
        WHEN '' THEN coalesce({_S['invokedBy']}, 'account/' || {_S['accountId']})
        ELSE coalesce({_S['userName']}, nullif(regexp_extract({_S['arn']}, '[^/]+$'), ''),
            {_S['principalId']}, {_S['invokedBy']})
    END"""

_EXPRESSIONS: dict[str, str] = {
    "event_id": _S["eventID"],
    "event_time": f"TRY_CAST({_S['eventTime']} AS TIMESTAMPTZ)",
    "event_version": _S["eventVersion"],
    "event_source": _S["eventSource"],
    "event_name": _S["eventName"],
    "aws_region": _S["awsRegion"],
    "source_ip_address": _S["sourceIPAddress"],
    "user_agent": _S["userAgent"],
    "error_code": _S["errorCode"],
    "error_message": _S["errorMessage"],
    "read_only": f"TRY_CAST({_S['readOnly']} AS BOOLEAN)",
    "event_type": _EVENT_TYPE,
    "event_category": _EVENT_CATEGORY,
    "management_event": f"TRY_CAST({_S['managementEvent']} AS BOOLEAN)",
    "recipient_account_id": _S["recipientAccountId"],
    "request_id": _S["requestID"],
    "shared_event_id": _S["sharedEventID"],
    "api_version": _S["apiVersion"],
    "vpc_endpoint_id": _S["vpcEndpointId"],
    "vpc_endpoint_account_id": _S["vpcEndpointAccountId"],
    "tls_version": _S["tlsVersion"],
    "tls_cipher_suite": _S["cipherSuite"],
    "tls_host": _S["clientProvidedHostHeader"],
    "session_credential_from_console": f"TRY_CAST({_S['sessionCredentialFromConsole']} AS BOOLEAN)",
    "identity_type": _S["type"],
    "identity_arn": _S["arn"],
    "identity_account_id": _S["accountId"],
    "identity_principal_id": _S["principalId"],
    "identity_user_name": _S["userName"],
    "access_key_id": _S["accessKeyId"],
    "session_name": _SESSION_NAME,
    "session_issuer_type": _S["issuerType"],
    "session_issuer_arn": _S["issuerArn"],
    "session_issuer_name": _S["issuerName"],
    "session_issuer_account_id": _S["issuerAccountId"],
    "session_created": f"TRY_CAST({_S['creationDate']} AS TIMESTAMPTZ)",
    "source_identity": _S["sourceIdentity"],
    "ec2_role_delivery": _S["ec2RoleDelivery"],
    "invoked_by": _S["invokedBy"],
    "identity_provider": f"coalesce({_S['identityProvider']}, {_S['federatedProvider']})",
    "on_behalf_of_user_id": _S["onBehalfOfUserId"],
    "identity_store_arn": _S["identityStoreArn"],
    "credential_id": _S["credentialId"],
    "mfa_authenticated": f"TRY_CAST({_S['mfaAuthenticated']} AS BOOLEAN)",
    "mfa_used": f"CASE lower({_S['MFAUsed']}) WHEN 'yes' THEN true WHEN 'no' THEN false END",
    "actor": _ACTOR,
    "request_parameters": _J["requestParameters"],
    "response_elements": _J["responseElements"],
    "additional_event_data": _J["additionalEventData"],
    "resources": _J["resources"],
    "service_event_details": _J["serviceEventDetails"],
    "addendum": _J["addendum"],
    "insight_details": _J["insightDetails"],
    "record": "record",
    "source_file": "source_file",
    "source_index": "source_index",
}
assert list(_EXPRESSIONS) == [name for name, _, _ in EVENTS_COLUMNS], "every column needs one expression"


def _path_list(paths: dict[str, str]) -> str:
    return "[" + ", ".join(f"'{p}'" for p in paths.values()) + "]"


NORMALISE_SQL = (
    "SELECT\n"
    + ",\n".join(f"    {_EXPRESSIONS[name]} AS {name}" for name, _, _ in EVENTS_COLUMNS)
    + "\nFROM (\n    SELECT json_extract_string(record, "
    + _path_list(_SCALAR_PATHS)
    + ") AS s,\n        json_extract(record, "
    + _path_list(_JSON_PATHS)
    + ") AS j,\n        record, source_file, source_index\n    FROM {source}\n)"
)
"""SELECT producing ``cloudtrail_events`` rows; ``{source}`` is a relation name or subquery."""


def normalise_sql(source: str) -> str:
    """``NORMALISE_SQL`` over ``source`` (a table name or a parenthesised subquery) whose columns
    are ``record JSON, source_file VARCHAR, source_index BIGINT``; the columns come out in
    ``EVENTS_COLUMNS`` order, so ``INSERT INTO cloudtrail_events <this>`` lines up."""
    return NORMALISE_SQL.replace("{source}", source)
