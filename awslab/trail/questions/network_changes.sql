-- Changes to network ACLs, gateways, route tables and VPCs.
-- anchor: CIS AWS Foundations 3.11-3.14 / Security Hub CloudWatch.11 (NACL), .12 (network gateways), .13 (route tables), .14 (VPC); Sigma aws_cloudtrail_new_acl_entries.yml, aws_cloudtrail_new_route_added.yml; Panther aws_ec2_route_table_modified.yml
-- plot: bar category changes
SELECT category, event_name, count(*) AS changes, count(*) FILTER (WHERE error_code IS NOT NULL) AS failed,
       string_agg(DISTINCT actor, ', ' ORDER BY actor) AS actors,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM (
    SELECT *,
        CASE
            WHEN event_name IN ('CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry',
                                'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation') THEN 'network ACL'
            WHEN event_name IN ('CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway',
                                'CreateInternetGateway', 'DeleteInternetGateway', 'DetachInternetGateway') THEN 'gateway'
            WHEN event_name IN ('CreateRoute', 'CreateRouteTable', 'ReplaceRoute', 'ReplaceRouteTableAssociation',
                                'DeleteRouteTable', 'DeleteRoute', 'DisassociateRouteTable') THEN 'route table'
            WHEN event_name IN ('CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute', 'AcceptVpcPeeringConnection',
                                'CreateVpcPeeringConnection', 'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection',
                                'AttachClassicLinkVpc', 'DetachClassicLinkVpc', 'DisableVpcClassicLink',
                                'EnableVpcClassicLink') THEN 'VPC'
        END AS category
    FROM cloudtrail_events
    WHERE event_source = 'ec2.amazonaws.com'
)
WHERE category IS NOT NULL
GROUP BY category, event_name
ORDER BY category, changes DESC, event_name
