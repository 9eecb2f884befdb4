# The console instance and one instance per customer, all in private subnets, IMDSv2 only,
# encrypted root volumes. Each boots with cloud-init user data (../cloud-init/) that installs the
# package, writes the settings and starts the service.

resource "aws_instance" "console" {
  ami                    = var.ami_id
  instance_type          = var.console_instance_type
  subnet_id              = aws_subnet.private[0].id
  vpc_security_group_ids = [aws_security_group.console.id]
  iam_instance_profile   = aws_iam_instance_profile.console.name
  monitoring             = true
  ebs_optimized          = true
  user_data = templatefile("${path.module}/../cloud-init/console.yaml.tftpl", {
    package_url  = var.console_package_url
    backup_to    = "s3://${aws_s3_bucket.backups.bucket}/console"
    keep_days    = var.backup_retention_days
    aws_region   = data.aws_region.current.region
    console_fqdn = var.console_domain
  })
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  root_block_device {
    encrypted   = true
    volume_type = "gp3"
    volume_size = 20
  }
  tags = { Name = "${var.name}-console", "voicefleet:role" = "console" }
}

resource "aws_instance" "customer" {
  for_each               = var.customers
  ami                    = var.ami_id
  instance_type          = each.value.instance_type
  subnet_id              = aws_subnet.private[index(keys(var.customers), each.key) % local.zone_count].id
  vpc_security_group_ids = [aws_security_group.hosts.id]
  iam_instance_profile   = aws_iam_instance_profile.host.name
  monitoring             = true
  ebs_optimized          = true
  user_data = templatefile("${path.module}/../cloud-init/host.yaml.tftpl", {
    customer_id        = each.key
    package_url        = var.agent_package_url
    console_public_key = var.console_public_key_pem
    tls_cert           = ""
    tls_key            = ""
  })
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  root_block_device {
    encrypted   = true
    volume_type = "gp3"
    volume_size = 20
  }
  tags = merge(each.value.tags, {
    Name                  = "${var.name}-${each.key}"
    "voicefleet:role"     = "host"
    "voicefleet:customer" = each.key
  })
}
