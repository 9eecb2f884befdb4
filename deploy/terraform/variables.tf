variable "name" {
  description = "Prefix of every resource's name, and the Name tag"
  type        = string
  default     = "voicefleet"
}

variable "vpc_cidr" {
  description = "The VPC's address range; public and private subnets are carved from it"
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Two or more zones: one public and one private subnet in each (the ALB needs two)"
  type        = list(string)
}

variable "console_domain" {
  description = "The console's name (console.example.com): the ACM certificate's name and the ALB's DNS record"
  type        = string
}

variable "route53_zone_id" {
  description = "The hosted zone of console_domain: the certificate's DNS validation and the ALB's alias record"
  type        = string
}

variable "console_instance_type" {
  description = "The console's instance type (1,000 hosts fit in 2 vCPU and 2 GiB)"
  type        = string
  default     = "t3.small"
}

variable "ami_id" {
  description = "A Debian 12 or Ubuntu 24.04 AMI (systemd, dpkg) for the console and every host"
  type        = string
}

variable "console_package_url" {
  description = "Where the console instance fetches the voicefleet .deb (an HTTPS URL, such as a presigned S3 URL)"
  type        = string
}

variable "agent_package_url" {
  description = "Where customer instances fetch the voicefleet-agent .deb (an HTTPS URL)"
  type        = string
}

variable "console_public_key_pem" {
  description = "The console's token-signing public key (DATA/console.pub.pem), trusted by every host; empty on the very first apply, before the console has made one"
  type        = string
  default     = ""
}

variable "backup_retention_days" {
  description = "Backups older than this are expired by the bucket too (the console's --keep-days prunes them first)"
  type        = number
  default     = 30
}

variable "customers" {
  description = "One instance per customer: the map's key is the customer id"
  type = map(object({
    instance_type = optional(string, "t3.small")
    tags          = optional(map(string), {})
  }))
  default = {}
}

variable "admin_cidrs" {
  description = "Address ranges allowed to reach the console through the ALB on 443"
  type        = list(string)
  default     = ["0.0.0.0/0"]
}
