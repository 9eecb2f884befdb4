# Who may talk to whom: the internet (admin_cidrs) to the ALB on 443; the ALB alone to the
# console on 9000; the console alone to the hosts on 8000. Instances send HTTPS out (providers,
# S3, EC2's API) and nothing else; the console also reaches the hosts' port 8000.

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "The console's load balancer: HTTPS in, the console's port out"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-alb" }
}

resource "aws_security_group" "console" {
  name        = "${var.name}-console"
  description = "The console: port 9000 from the ALB only"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-console" }
}

resource "aws_security_group" "hosts" {
  name        = "${var.name}-hosts"
  description = "Customer hosts: port 8000 from the console only"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-hosts" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.admin_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS to the console from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_console" {
  security_group_id            = aws_security_group.alb.id
  description                  = "The ALB forwards to the console's port 9000"
  ip_protocol                  = "tcp"
  from_port                    = 9000
  to_port                      = 9000
  referenced_security_group_id = aws_security_group.console.id
}

resource "aws_vpc_security_group_ingress_rule" "console_from_alb" {
  security_group_id            = aws_security_group.console.id
  description                  = "The console API and web console, from the ALB only"
  ip_protocol                  = "tcp"
  from_port                    = 9000
  to_port                      = 9000
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "console_to_hosts" {
  security_group_id            = aws_security_group.console.id
  description                  = "The console calls each host agent's API"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.hosts.id
}

resource "aws_vpc_security_group_egress_rule" "console_https" {
  security_group_id = aws_security_group.console.id
  description       = "HTTPS out: S3 backups, EC2's API, alert webhooks, packages"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "hosts_from_console" {
  security_group_id            = aws_security_group.hosts.id
  description                  = "The host API, from the console only"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.console.id
}

resource "aws_vpc_security_group_egress_rule" "hosts_https" {
  security_group_id = aws_security_group.hosts.id
  description       = "HTTPS out: the voice agent's LLM, STT, TTS and telephony providers, packages"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
