#!/usr/bin/env python3
"""Checks of deploy/ that need Python: the Terraform module parses (python-hcl2) and names
exactly the AWS actions voicefleet calls; the cloud-init templates render to valid YAML that
installs the package, writes the settings and enables the unit; the built .deb packages hold
the right files, modes and maintainer scripts; the systemd units keep their hardening.

    check_deploy.py terraform
    check_deploy.py cloud-init
    check_deploy.py deb voicefleet PATH.deb
    check_deploy.py deb voicefleet-agent PATH.deb
"""

import configparser
import pathlib
import re
import subprocess
import sys
import tempfile

import hcl2
import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def clean(value):
    """python-hcl2 8 keeps string literals quoted (`"tcp"`); expressions stay `${...}`."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    return value


def terraform():
    blocks = {}
    for path in sorted((DEPLOY / "terraform").glob("*.tf")):
        with path.open() as handle:
            document = clean(hcl2.load(handle))  # raises on a syntax error
        for kind in ("resource", "data"):
            for block in document.get(kind, []):
                for type_name, named in block.items():
                    for name, body in named.items():
                        blocks[(kind, type_name, name)] = body
    check(len(blocks) > 20, f"the module has only {len(blocks)} blocks")
    for needed in [
        ("resource", "aws_vpc", "main"),
        ("resource", "aws_nat_gateway", "main"),
        ("resource", "aws_lb", "console"),
        ("resource", "aws_acm_certificate", "console"),
        ("resource", "aws_instance", "console"),
        ("resource", "aws_instance", "customer"),
    ]:
        check(needed in blocks, f"terraform: {needed} is missing")

    def rules(kind):
        return [body for (k, t, _), body in blocks.items() if k == "resource" and t == f"aws_vpc_security_group_{kind}_rule"]

    ports = {}
    for rule in rules("ingress"):
        sg = str(rule["security_group_id"])
        ports.setdefault(sg, set()).add((rule["from_port"], rule["to_port"], str(rule.get("referenced_security_group_id", rule.get("cidr_ipv4")))))
    console_in = ports.get("${aws_security_group.console.id}", set())
    hosts_in = ports.get("${aws_security_group.hosts.id}", set())
    check(console_in == {(9000, 9000, "${aws_security_group.alb.id}")}, f"terraform: the console admits {console_in}, not just the ALB on 9000")
    check(hosts_in == {(8000, 8000, "${aws_security_group.console.id}")}, f"terraform: hosts admit {hosts_in}, not just the console on 8000")

    policy = blocks[("data", "aws_iam_policy_document", "console")]
    actions = sorted(a for statement in policy["statement"] for a in statement["actions"])
    check(
        actions == sorted(["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket", "kms:GenerateDataKey", "kms:Decrypt", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances", "ec2:ModifyInstanceAttribute", "ec2:TerminateInstances"]),
        f"terraform: the console's policy names {actions}",
    )
    check(not any("*" in a for a in actions), "terraform: a wildcard action in the console's policy")
    check(not any(t == "aws_iam_role_policy" and "host" in n for (_, t, n) in blocks), "terraform: hosts must carry no AWS policy")


def render(template, values):
    text = (DEPLOY / "cloud-init" / template).read_text()

    def substitute(match):
        expression = match.group(1)
        indent = re.fullmatch(r"indent\((\d+), (\w+)\)", expression)
        if indent:
            pad = " " * int(indent.group(1))
            return values[indent.group(2)].replace("\n", "\n" + pad)
        return str(values[expression])

    return re.sub(r"(?<!\$)\$\{([^}]+)\}", substitute, text)


def cloud_init():
    pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAexample\n-----END PUBLIC KEY-----"
    host = render("host.yaml.tftpl", {"customer_id": "acme", "package_url": "https://packages.example.com/a.deb", "console_public_key": pem, "tls_cert": "", "tls_key": ""})
    console = render("console.yaml.tftpl", {"package_url": "https://packages.example.com/c.deb", "backup_to": "s3://b/console", "keep_days": 30, "aws_region": "eu-west-1", "console_fqdn": "console.example.com"})
    for name, text, unit, settings in [("host", host, "voicefleet-agent.service", "/etc/voicefleet-agent/agent.toml"), ("console", console, "voicefleet-console.service", "/etc/voicefleet/console.env")]:
        check(text.startswith("#cloud-config\n"), f"cloud-init {name}: the first line must be #cloud-config")
        document = yaml.safe_load(text)
        files = {f["path"]: f for f in document["write_files"]}
        check(settings in files, f"cloud-init {name}: {settings} is not written")
        commands = [" ".join(map(str, c)) if isinstance(c, list) else c for c in document["runcmd"]]
        check(any("dpkg -i --force-confold" in c for c in commands), f"cloud-init {name}: the package is not installed keeping the settings")
        check(any(c == f"systemctl enable --now {unit}" for c in commands), f"cloud-init {name}: {unit} is not enabled and started")
        check(not any("http://" in c for c in commands), f"cloud-init {name}: a download over plain http")
    agent_toml = yaml.safe_load(host)["write_files"][0]["content"]
    check('customer_id = "acme"' in agent_toml, "cloud-init host: the customer id is not in agent.toml")
    check('agent_user = "voicefleet-voice"' in agent_toml, "cloud-init host: the voice agent's user is not in agent.toml")
    pem_file = [f for f in yaml.safe_load(host)["write_files"] if f["path"].endswith("console.pub.pem")][0]
    check(pem_file["content"].strip() == pem, "cloud-init host: the console's public key is mangled")


def unit_options(text):
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    # systemd repeats keys (SystemCallFilter=): keep the last, enough for these checks.
    parser.read_string(text)
    return parser


def deb(package, path):
    listing = subprocess.run(["dpkg-deb", "--contents", path], check=True, capture_output=True, text=True).stdout
    modes = {}
    for line in listing.splitlines():
        fields = line.split()
        modes["/" + fields[-1].lstrip("./")] = fields[0]
    control = subprocess.run(["dpkg-deb", "--field", path], check=True, capture_output=True, text=True).stdout
    check(f"Package: {package}\n" in control, f"{path}: not the package {package}")
    check(re.search(r"^Depends:.*\badduser\b", control, re.M) is not None, f"{path}: does not depend on adduser")
    if package == "voicefleet":
        binary, unit, settings, settings_mode, user = "/usr/bin/voicefleet", "voicefleet-console.service", "/etc/voicefleet/console.env", "-rw-r-----", "voicefleet"
    else:
        binary, unit, settings, settings_mode, user = "/usr/bin/voicefleet-agent", "voicefleet-agent.service", "/etc/voicefleet-agent/agent.toml", "-rw-------", "voicefleet-voice"
    unit_paths = [p for p in modes if p.endswith("/systemd/system/" + unit)]
    check(modes.get(binary) == "-rwxr-xr-x", f"{path}: {binary} has mode {modes.get(binary)}")
    if package == "voicefleet-agent":
        shim = "/usr/bin/voicefleet-shim"
        check(modes.get(shim) == "-rwxr-xr-x", f"{path}: the dedicated shim {shim} is missing (mode {modes.get(shim)})")
    check(len(unit_paths) == 1, f"{path}: the unit {unit} is not in the package ({sorted(modes)})")
    check(modes.get(settings) == settings_mode, f"{path}: {settings} has mode {modes.get(settings)}, not {settings_mode}")
    check(f"/usr/share/doc/{package}/operations.md" in modes, f"{path}: docs/operations.md is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["dpkg-deb", "--control", path, scratch], check=True)
        control_dir = pathlib.Path(scratch)
        conffiles = (control_dir / "conffiles").read_text() if (control_dir / "conffiles").exists() else ""
        check(settings in conffiles.split(), f"{path}: {settings} is not a conffile (an upgrade would overwrite it)")
        postinst = (control_dir / "postinst").read_text()
        check(oct((control_dir / "postinst").stat().st_mode & 0o777) == "0o755", f"{path}: postinst is not executable")
        check(f"adduser --system" in postinst and user in postinst, f"{path}: postinst does not create the user {user}")
        check("#DEBHELPER#" not in postinst, f"{path}: postinst still holds #DEBHELPER#")
        check(f"deb-systemd-helper" in postinst and unit in postinst, f"{path}: postinst does not enable {unit}")
        check(re.search(r"deb-systemd-invoke \$_dh_action .*" + re.escape(unit), postinst) is not None or "try-restart" in postinst, f"{path}: postinst does not restart {unit} after an upgrade")
        postrm = (control_dir / "postrm").read_text()
        check("deluser --system" in postrm and user in postrm, f"{path}: postrm does not remove {user} on purge")
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["dpkg-deb", "--extract", path, root], check=True)
            unit_text = (pathlib.Path(root) / unit_paths[0].lstrip("/")).read_text()
    service = unit_options(unit_text)["Service"]
    for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"), ("Restart", "on-failure")]:
        check(service.get(key) == value, f"{unit}: {key}={service.get(key)}, not {value}")
    check(service.get("StateDirectory") in ("voicefleet", "voicefleet-agent"), f"{unit}: no StateDirectory")
    if package == "voicefleet":
        check(service.get("User") == "voicefleet", f"{unit}: not the dedicated user")
        check(service.get("CapabilityBoundingSet") == "", f"{unit}: the console keeps capabilities")
    else:
        check(service.get("KillMode") == "process", f"{unit}: KillMode={service.get('KillMode')}: a restart would kill the voice agent")
        check(sorted(service.get("CapabilityBoundingSet", "").split()) == ["CAP_CHOWN", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"], f"{unit}: capabilities {service.get('CapabilityBoundingSet')}")


def main():
    what = sys.argv[1]
    if what == "terraform":
        terraform()
    elif what == "cloud-init":
        cloud_init()
    elif what == "deb":
        deb(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown check {what}: give terraform, cloud-init or deb PACKAGE PATH")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"deploy check {what} {' '.join(sys.argv[2:3])}: ok")


if __name__ == "__main__":
    main()
