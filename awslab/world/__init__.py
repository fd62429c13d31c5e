"""The lab's small AWS world: EC2, EBS, VPC, S3, IAM, STS, SNS, Auto Scaling and Lambda."""
