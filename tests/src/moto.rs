//! moto's server (the AWS emulator, `moto[server]` from PyPI in the test venv) on 127.0.0.1, for
//! the tests of the `aws` feature. They run only in a network namespace of their own
//! (`unshare -n`, loopback up: scripts/test does so), so nothing can leave the machine.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Fixed test credentials and region, and no instance metadata lookups.
pub const ENV: [(&str, &str); 6] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/nonexistent"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
];

/// moto's server: `VOICEFLEET_MOTO_SERVER`, else the test venv's (`.venv/` at the repository root).
pub fn server() -> PathBuf {
    if let Ok(path) = std::env::var("VOICEFLEET_MOTO_SERVER") {
        return path.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server")
}

/// True when only the loopback interface exists (a network namespace of its own).
pub fn isolated() -> bool {
    let devices = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    devices.lines().skip(2).all(|line| line.trim_start().starts_with("lo:"))
}

/// Panics unless the test runs in a network namespace with nothing but loopback.
pub fn assert_isolated() {
    assert!(
        isolated(),
        "run this test inside `unshare -n` with loopback up (scripts/test does): it must not reach any network"
    );
}

/// A running moto server; stopped when dropped.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto on a free port of 127.0.0.1 and waits (at most 30 s) until it answers.
    pub fn start() -> Moto {
        assert_isolated();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = server();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} (scripts/test installs moto[server] in .venv): {e}", server.display())
            });
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while moto.http("GET", "/").is_none() {
            assert!(Instant::now() < deadline, "moto did not answer on 127.0.0.1:{port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// `http://127.0.0.1:PORT`, the endpoint override.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One plain HTTP request (unsigned: moto does not check signatures); the status code.
    pub fn http(&self, method: &str, path: &str) -> Option<u16> {
        let port = self.port;
        let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Moto {
    /// One EC2 query-protocol call (form-encoded `params`, without Action's `Version`), as a
    /// signed-looking but unsigned request (moto reads the service and region from the
    /// Authorization header and checks no signature); the answer's body.
    pub fn ec2(&self, params: &str) -> Option<String> {
        let port = self.port;
        let body = format!("{params}&Version=2016-11-15");
        let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, \
             SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let (head, body) = answer.split_once("\r\n\r\n")?;
        head.contains(" 200 ").then(|| body.to_owned())
    }

    /// The ids of the instances tagged `voicefleet:customer=customer` in `state` (`running`).
    pub fn instances_of(&self, customer: &str, state: &str) -> Vec<String> {
        let params = format!(
            "Action=DescribeInstances&Filter.1.Name=tag%3Avoicefleet%3Acustomer&Filter.1.Value.1={customer}\
             &Filter.2.Name=instance-state-name&Filter.2.Value.1={state}"
        );
        let body = self.ec2(&params).unwrap_or_default();
        let mut ids: Vec<String> = body
            .split("<instanceId>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</instanceId>").map(|(id, _)| id.to_owned()))
            .collect();
        ids.dedup();
        ids
    }

    /// The user data an instance was launched with (what cloud-init would read), decoded.
    pub fn user_data(&self, instance_id: &str) -> Option<String> {
        let body = self
            .ec2(&format!("Action=DescribeInstanceAttribute&InstanceId={instance_id}&Attribute=userData"))?;
        let encoded = body.split_once("<userData>")?.1.split_once("<value>")?.1.split_once("</value>")?.0;
        String::from_utf8(base64_decode(encoded.trim())?).ok()
    }
}

/// Standard base64 (with padding), or `None`.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for byte in text.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=') {
        let value = ALPHABET.iter().position(|a| *a == byte)? as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
