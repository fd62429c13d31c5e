"""The services a lab runs, as ``"module:Class"`` strings, set up in this order.

Add a line here when a new service lands; nothing else in the core needs to change.
"""

SERVICES: list[str] = [
    "awslab.cloudtrail.service:CloudTrailService",
    "awslab.cloudwatch.service:CloudWatchService",
    "awslab.world.ec2:Ec2Service",
    "awslab.world.iam:IAMService",
    "awslab.world.sts:STSService",
    "awslab.world.s3:S3Service",
    "awslab.world.sqs:SQSService",
    "awslab.world.sns:SNSService",
    "awslab.world.lambda_:LambdaService",
    "awslab.world.autoscaling:AutoScalingService",
    "awslab.logs.service:LogsService",
    "awslab.events.service:EventsService",
    "awslab.config.service:ConfigService",
]
