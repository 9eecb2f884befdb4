# voicefleet on AWS: the network, the console behind an ALB with an ACM certificate, one
# instance per customer, an encrypted bucket for the console's backups. The provider (region,
# credentials) is configured by the caller; see README.md.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}
