-- Changes to S3 bucket policies, ACLs, CORS, lifecycle, replication and Block Public Access; weakened public-access blocks are flagged.
-- anchor: CIS AWS Foundations 3.8 / Security Hub CloudWatch.8 (the 9 bucket event names); Sigma aws_cloudtrail_bucket_block_public_access_weakened.yml; Lake s3-buckets-public-access-block-historical-changes.sql, s3-buckets-using-acls.sql
SELECT event_time, actor, event_name, request_parameters->>'bucketName' AS bucket,
       (event_name IN ('PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock', 'PutPublicAccessBlock')
           AND regexp_matches(CAST(request_parameters AS VARCHAR),
                              '"(BlockPublicAcls|IgnorePublicAcls|BlockPublicPolicy|RestrictPublicBuckets)"\s*:\s*false'))
        OR event_name IN ('DeleteBucketPublicAccessBlock', 'DeleteAccountPublicAccessBlock', 'DeletePublicAccessBlock')
        AS public_access_weakened,
       error_code IS NULL AS succeeded, error_code, source_ip_address
FROM cloudtrail_events
WHERE event_source IN ('s3.amazonaws.com', 's3-control.amazonaws.com')
  AND event_name IN ('PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketReplication',
                     'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketReplication',
                     'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'PutAccountPublicAccessBlock',
                     'DeleteAccountPublicAccessBlock', 'PutPublicAccessBlock', 'DeletePublicAccessBlock')
ORDER BY event_time, source_file, source_index
