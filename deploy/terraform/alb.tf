# The console's front door: an internet-facing ALB on 443 with an ACM certificate (validated
# through Route 53), forwarding over HTTPS to the console's port 9000.

resource "aws_acm_certificate" "console" {
  domain_name       = var.console_domain
  validation_method = "DNS"
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "console_validation" {
  for_each = {
    for option in aws_acm_certificate.console.domain_validation_options : option.domain_name => option
  }
  zone_id = var.route53_zone_id
  name    = each.value.resource_record_name
  type    = each.value.resource_record_type
  records = [each.value.resource_record_value]
  ttl     = 300
}

resource "aws_acm_certificate_validation" "console" {
  certificate_arn         = aws_acm_certificate.console.arn
  validation_record_fqdns = [for record in aws_route53_record.console_validation : record.fqdn]
}

resource "aws_lb" "console" {
  #checkov:skip=CKV_AWS_91:access logs need a bucket writable by the ELB service account; the console logs every request with its request id and audits every change
  #checkov:skip=CKV2_AWS_28:a WAF is the operator's choice; the console rate-limits per address and every route checks its role
  #checkov:skip=CKV2_AWS_76:no Java behind this ALB, so a Log4j WAF rule protects nothing
  name                       = "${var.name}-console"
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = aws_subnet.public[*].id
  drop_invalid_header_fields = true
  enable_deletion_protection = true
  # Event streams (SSE) stay open: a long idle timeout keeps them.
  idle_timeout = 3600
}

resource "aws_lb_target_group" "console" {
  name        = "${var.name}-console"
  port        = 9000
  protocol    = "HTTPS"
  target_type = "instance"
  vpc_id      = aws_vpc.main.id
  health_check {
    protocol = "HTTPS"
    path     = "/v1/health"
    matcher  = "200"
  }
}

resource "aws_lb_target_group_attachment" "console" {
  target_group_arn = aws_lb_target_group.console.arn
  target_id        = aws_instance.console.id
  port             = 9000
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.console.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.console.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.console.arn
  }
}

resource "aws_route53_record" "console" {
  zone_id = var.route53_zone_id
  name    = var.console_domain
  type    = "A"
  alias {
    name                   = aws_lb.console.dns_name
    zone_id                = aws_lb.console.zone_id
    evaluate_target_health = true
  }
}
