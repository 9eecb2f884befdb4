# Least privilege. The console calls exactly these AWS actions: for backups, s3:PutObject,
# s3:GetObject, s3:DeleteObject (retention) under the bucket's console/ prefix and s3:ListBucket
# on that prefix; for host discovery by tag, ec2:DescribeInstances and ec2:DescribeInstanceStatus
# (which AWS does not scope to resources); for `voicefleet instances start|stop|reboot|resize|
# terminate`, the instance actions on instances tagged voicefleet:customer only. Customer hosts
# call no AWS action: their role carries no policy.

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "console" {
  name               = "${var.name}-console"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
}

data "aws_iam_policy_document" "console" {
  statement {
    sid       = "BackupObjects"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.backups.arn}/console/*"]
  }
  statement {
    sid       = "BackupListing"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.backups.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["console/", "console/*"]
    }
  }
  statement {
    sid       = "BackupEncryption"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
  statement {
    sid       = "HostDiscovery"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"]
    resources = ["*"]
  }
  statement {
    sid = "HostControl"
    actions = [
      "ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances", "ec2:ModifyInstanceAttribute",
      "ec2:TerminateInstances",
    ]
    resources = ["arn:aws:ec2:*:*:instance/*"]
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/voicefleet:customer"
      values   = ["false"]
    }
  }
}

resource "aws_iam_role_policy" "console" {
  name   = "${var.name}-console"
  role   = aws_iam_role.console.id
  policy = data.aws_iam_policy_document.console.json
}

resource "aws_iam_instance_profile" "console" {
  name = "${var.name}-console"
  role = aws_iam_role.console.name
}

resource "aws_iam_role" "host" {
  name               = "${var.name}-host"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
}

resource "aws_iam_instance_profile" "host" {
  name = "${var.name}-host"
  role = aws_iam_role.host.name
}

data "aws_iam_policy_document" "assume_flow_logs" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.assume_flow_logs.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "${var.name}-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}
