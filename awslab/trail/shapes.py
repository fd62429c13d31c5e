"""The SQL that tells what each JSON value in a file is, and the record each item stands for.

A file holds one or more top-level JSON values; each is one of these shapes:

* ``Records`` - a log file's ``{"Records": [...]}``, also the console's event-history export;
* ``LookupEvents`` - a LookupEvents response, ``{"Events": [...]}``, whose items carry the record
  as a JSON *string* in ``CloudTrailEvent``; ``event`` - one such item alone (a JSON Lines line);
* ``Lake`` - CloudTrail Lake results: GetQueryResults' ``QueryResultRows`` (each row a list of
  one-key objects) or the rows of a saved CSV result, named in lower case;
* ``array`` - a JSON array of records (or of LookupEvents items); ``record`` - one record;
* ``digest``, ``lake_sign`` - recognised and skipped; ``unknown`` - anything else.

Every statement here parses a value once (``json_transform`` is lenient: a missing or mistyped
key is NULL, never an error), and no Python runs per item.

Formats: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetQueryResults.html,
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-supported-event-schemas.html
"""

from __future__ import annotations

import json

# One parse of each top-level value tells its shape; json_transform is lenient (a missing or
# mistyped key is NULL) so this never fails on odd input.
SHAPE = json.dumps({
    "Records": "JSON[]", "Events": "JSON[]", "QueryResultRows": "JSON[]", "CloudTrailEvent": "JSON",
    "digestStartTime": "JSON", "logFiles": "JSON", "hashSignature": "JSON",
    "eventVersion": "JSON", "eventTime": "JSON", "eventID": "JSON", "eventName": "JSON", "eventSource": "JSON",
})

_CLASSIFY = f"""
SELECT file, vi, shape,
    CASE shape
        WHEN 'Records' THEN s.Records
        WHEN 'LookupEvents' THEN s.Events
        WHEN 'event' THEN [value]
        WHEN 'Lake' THEN list_transform(s.QueryResultRows, lambda row: _trail_lake_row(row))
        WHEN 'array' THEN json_transform(value, '["JSON"]')
        WHEN 'record' THEN [value]
        WHEN 'unknown' THEN [value]
        ELSE []::JSON[]
    END AS items
FROM (
    SELECT file, vi, value, s,
        CASE
            WHEN s.Records IS NOT NULL THEN 'Records'
            WHEN s.Events IS NOT NULL THEN 'LookupEvents'
            WHEN s.CloudTrailEvent IS NOT NULL THEN 'event'
            WHEN s.QueryResultRows IS NOT NULL THEN 'Lake'
            WHEN s.digestStartTime IS NOT NULL AND s.logFiles IS NOT NULL THEN 'digest'
            WHEN s.hashSignature IS NOT NULL THEN 'lake_sign'
            WHEN coalesce(s.eventVersion, s.eventTime, s.eventID, s.eventName, s.eventSource) IS NOT NULL
                THEN 'record'
            WHEN json_type(value) = 'ARRAY' THEN 'array'
            ELSE 'unknown'
        END AS shape
    FROM (SELECT file, vi, value, json_transform(value, '{SHAPE}') AS s FROM {{source}})
)"""

READ_FILES = _CLASSIFY.replace("{source}", """(
    SELECT filename AS file, NULL::BIGINT AS vi, json AS value
    FROM read_json_objects($files, format = 'unstructured', filename = true,
                           maximum_object_size = $maximum_object_size, compression = $compression))""")

# Log files streamed straight into the table (the fast path): each file's Records, with their index.
# json_extract gives [] for a file without Records, which the loader then looks at more closely.
STREAM_RECORDS = """
SELECT record, filename AS source_file, i AS source_index
FROM (
    SELECT filename, unnest(records) AS record, unnest(range(len(records))) AS i
    FROM (SELECT filename, json_extract(json, '$.Records[*]') AS records
          FROM read_json_objects($files, format = 'unstructured', filename = true,
                                 maximum_object_size = $maximum_object_size))
)"""

# JSON Lines read line by line (only for a file the reader rejected): a value's index is its line.
READ_LINES = _CLASSIFY.replace("{source}", """(
    SELECT $file AS file, i - 1 AS vi, t::JSON AS value
    FROM unnest($lines) WITH ORDINALITY AS u(t, i)
    WHERE trim(t) <> '' AND json_valid(t))""")

# Items with their position in the file: a single-item value (a JSON Lines line) is at its own
# index; the items of a container are at the container's offset plus their index in it.
_SINGLE = "('record', 'event', 'unknown')"
_ITEMS = f"""
SELECT file, shape, CASE WHEN shape IN {_SINGLE} THEN vi ELSE off + i - 1 END AS position, item
FROM (
    SELECT file, vi, shape, items,
        coalesce(sum(n) OVER (PARTITION BY file ORDER BY vi
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS off
    FROM (SELECT file, coalesce(vi, rowid - min(rowid) OVER (PARTITION BY file)) AS vi, shape, items,
                 len(items) AS n
          FROM _trail_values WHERE {{where}})
), unnest(items) WITH ORDINALITY AS u(item, i)"""

# The common case, kept lean: the items of Records envelopes when no file in the chunk holds more
# than one top-level value. They are trusted to be records; a first-character test finds the rest.
_RECORDS_ITEMS = """
SELECT file, i - 1 AS position, item
FROM _trail_values, unnest(items) WITH ORDINALITY AS u(item, i)
WHERE shape = 'Records'"""
# a JSON null item arrives as SQL NULL
NOT_AN_OBJECT = "'record is not a JSON object (it is ' || coalesce(lower(json_type(item)), 'null') || ')'"

# The record each item stands for, or the reason it is not one.
_RECORDS = f"""
SELECT file, shape, position, item, CASE WHEN problem IS NULL THEN record END AS record, problem
FROM (
    SELECT *,
        CASE
            WHEN shape = 'Records' THEN CASE WHEN left(item, 1) = '{{' THEN NULL ELSE {NOT_AN_OBJECT} END
            WHEN envelope IS NOT NULL AND record IS NULL THEN 'CloudTrailEvent is not a JSON object'
            WHEN json_type(record) IS DISTINCT FROM 'OBJECT' THEN {NOT_AN_OBJECT}
            WHEN shape = 'unknown' OR (shape <> 'record' AND len(list_filter(json_extract(record,
                    ['$.eventVersion', '$.eventTime', '$.eventID', '$.eventName', '$.eventSource']),
                    lambda x: x IS NOT NULL)) = 0) THEN
                'not a CloudTrail record (none of eventVersion, eventTime, eventID, eventName, eventSource)'
        END AS problem
    FROM (
        SELECT file, shape, position, item, envelope,
            CASE
                WHEN shape IN ('Records', 'record', 'unknown') THEN item
                WHEN shape = 'Lake' THEN _trail_lake_record(item)
                WHEN envelope IS NULL THEN item
                WHEN json_valid(envelope) AND json_type(envelope::JSON) = 'OBJECT' THEN envelope::JSON
            END AS record
        FROM (
            SELECT *, CASE WHEN shape IN ('LookupEvents', 'event', 'array')
                           THEN json_extract_string(item, '$.CloudTrailEvent') END AS envelope
            FROM ({_ITEMS})
        )
    )
)"""


def sources(lean: bool, others: bool) -> tuple[str, str]:
    """SELECTs of (record, source_file, source_index) to load and of (file, position, problem, item)
    to reject, for a chunk; ``lean`` when no file holds several values, ``others`` when some value
    is not a Records envelope."""
    good, bad = [], []
    if lean:
        good.append(f"SELECT item AS record, file AS source_file, position AS source_index FROM ({_RECORDS_ITEMS}) "
                    "WHERE left(item, 1) = '{'")
        bad.append(f"SELECT file, position, {NOT_AN_OBJECT} AS problem, item FROM ({_RECORDS_ITEMS}) "
                   "WHERE left(item, 1) IS DISTINCT FROM '{'")
    if others or not lean:
        general = _RECORDS.replace("{where}", "shape <> 'Records'" if lean else "true")
        good.append(f"SELECT record, file AS source_file, position AS source_index FROM ({general}) "
                    "WHERE problem IS NULL")
        bad.append(f"SELECT file, position, problem, item FROM ({general}) WHERE problem IS NOT NULL")
    return "\nUNION ALL\n".join(good), "\nUNION ALL\n".join(bad)


STATS = """
SELECT file, string_agg(DISTINCT shape, ',' ORDER BY shape) AS formats, sum(len(items)) AS items,
       bool_and(shape IN ('unknown', 'digest', 'lake_sign')) AS not_trail, count(*) AS values,
       coalesce(sum(len(list_filter(items, lambda x: left(x, 1) IS DISTINCT FROM '{'))) FILTER (WHERE shape = 'Records'), 0) AS odd
FROM _trail_values GROUP BY file"""

# CloudTrail Lake columns are the record's field names in lower case
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-supported-event-schemas.html).
_TOP_LEVEL_FIELDS = [
    "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
    "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent",
    "recipientAccountId", "sharedEventID", "annotation", "vpcEndpointId", "vpcEndpointAccountId",
    "serviceEventDetails", "addendum", "edgeDeviceDetails", "insightDetails", "eventCategory", "tlsDetails",
    "sessionCredentialFromConsole", "eventContext"]
_NESTED_FIELDS = [
    "principalId", "accountId", "accessKeyId", "userName", "sessionContext", "creationDate", "mfaAuthenticated",
    "sessionIssuer", "webIdFederationData", "federatedProvider", "sourceIdentity", "ec2RoleDelivery",
    "ec2IssuedInVPC", "invokedBy", "identityProvider", "onBehalfOf", "userId", "identityStoreArn",
    "credentialId", "inScopeOf", "tlsVersion", "cipherSuite", "clientProvidedHostHeader"]


def lake_macros() -> list[str]:
    names = "MAP {" + ", ".join(f"'{f.lower()}': '{f}'" for f in _TOP_LEVEL_FIELDS) + "}"
    nested = "t"
    for field_name in _NESTED_FIELDS:
        nested = f"replace({nested}, '\"{field_name.lower()}\":', '\"{field_name}\":')"
    return [
        # A GetQueryResults row is a list of one-key objects: merge them into one object.
        """CREATE OR REPLACE TEMP MACRO _trail_lake_row(row) AS
           CASE WHEN coalesce(json_array_length(row), 0) = 0 THEN '{}'::JSON
                ELSE list_reduce(json_transform(row, '["JSON"]'), lambda a, b: json_merge_patch(a, b)) END""",
        f"CREATE OR REPLACE TEMP MACRO _trail_lake_nested(t) AS ({nested})::JSON",
        # Lake cells are strings; a struct column exported as JSON text becomes JSON again.
        """CREATE OR REPLACE TEMP MACRO _trail_lake_value(v) AS
           CASE WHEN json_type(v) = 'VARCHAR' AND regexp_matches(v->>'$', '^\\s*[\\[{]') AND json_valid(v->>'$')
                THEN _trail_lake_nested(v->>'$')
                ELSE v END""",
        f"""CREATE OR REPLACE TEMP MACRO _trail_lake_record(o) AS
           CASE WHEN json_type(o) = 'OBJECT' THEN to_json(map_from_entries(list_transform(
               map_entries(json_transform(o, '"MAP(VARCHAR, JSON)"')),
               lambda e: {{'k': coalesce({names}[lower(e.key)], e.key), 'v': _trail_lake_value(e.value)}})))
           END""",
    ]
