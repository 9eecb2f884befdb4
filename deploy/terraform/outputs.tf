output "console_url" {
  description = "The console, through the ALB"
  value       = "https://${var.console_domain}"
}

output "backup_bucket" {
  description = "Where the console's scheduled backups go (s3://BUCKET/console)"
  value       = aws_s3_bucket.backups.bucket
}

output "console_instance_id" {
  description = "The console instance (reach it with SSM Session Manager or a bastion)"
  value       = aws_instance.console.id
}

output "customer_endpoints" {
  description = "Each customer's host API, to register with `voicefleet customers add ID --endpoint URL`"
  value       = { for id, instance in aws_instance.customer : id => "https://${instance.private_ip}:8000" }
}
