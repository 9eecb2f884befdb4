//! A real PostgreSQL server for tests: Debian's binaries (`apt-get install postgresql`; the test
//! command installs it), a cluster made with `initdb` in a temporary directory, run as the
//! `postgres` user (`initdb` refuses root), listening on a free port of 127.0.0.1 with its Unix
//! socket in that directory, password logins only (scram-sha-256). Dropping the server stops it
//! (immediate shutdown) and removes the directory; if the test process dies first, the kernel
//! stops the server too (parent-death signal).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The superuser every test server has, and its password.
pub const USER: &str = "voicefleet";
pub const PASSWORD: &str = "test-password-1";

/// A running PostgreSQL cluster; stopped and removed when dropped.
#[derive(Debug)]
pub struct PostgresServer {
    child: Child,
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// The directory of Debian's PostgreSQL server binaries (`VOICEFLEET_PG_BIN`, else the newest
/// `/usr/lib/postgresql/N/bin`); panics with what to install when there is none.
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("VOICEFLEET_PG_BIN") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("initdb").exists(),
            "VOICEFLEET_PG_BIN={} holds no initdb: `apt-get install postgresql`, or unset it",
            dir.display()
        );
        return dir;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL's server binaries (initdb, postgres) are not installed: \
             `apt-get install postgresql` (scripts/test installs it), or set VOICEFLEET_PG_BIN"
        ),
    }
}

/// The `postgres` account's user and group ids.
fn postgres_account() -> (u32, u32) {
    let name = std::ffi::CString::new("postgres").expect("no NUL");
    // SAFETY: getpwnam returns a pointer into static storage or null; read at once, on this thread.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(
        !entry.is_null(),
        "there is no `postgres` user to run the test server as: `apt-get install postgresql` creates it"
    );
    // SAFETY: not null (checked).
    unsafe { ((*entry).pw_uid, (*entry).pw_gid) }
}

/// `program` to be run as the `postgres` user when this process is root, stopped with
/// SIGQUIT (immediate shutdown) should this process die.
fn as_postgres(program: PathBuf) -> Command {
    let mut command = Command::new(program);
    command.env_remove("PGPASSWORD").env("LC_ALL", "C.UTF-8");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::geteuid() == 0 {
                let (uid, gid) = postgres_account_cached();
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // After the user change, which clears it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
            Ok(())
        });
    }
    command
}

static ACCOUNT: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();

/// The account looked up before any fork (getpwnam is not async-signal-safe).
fn postgres_account_cached() -> (u32, u32) {
    *ACCOUNT.get().expect("looked up before the fork")
}

impl PostgresServer {
    /// Makes a cluster in a temporary directory and starts it; waits (at most 60 s) until it
    /// accepts connections.
    pub fn start() -> PostgresServer {
        let bin = bin_dir();
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            ACCOUNT.get_or_init(postgres_account);
        }
        let dir = tempfile::Builder::new().prefix("voicefleet-pg-").tempdir().expect("temporary directory");
        if root {
            let (uid, gid) = ACCOUNT.get().copied().expect("looked up");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown the server's directory");
        }
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("write the password file");
        if root {
            let (uid, gid) = ACCOUNT.get().copied().expect("looked up");
            std::os::unix::fs::chown(&password_file, Some(uid), Some(gid)).expect("chown the password file");
        }
        let data = dir.path().join("data");
        let output = as_postgres(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"])
            .arg(format!("--pwfile={}", password_file.display()))
            .output()
            .expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
        let child = as_postgres(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            // A test server: durability traded for speed.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200", "-c", "shared_buffers=32MB"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let mut server = PostgresServer { child, bin, dir, port };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("poll postgres") {
                panic!("postgres exited ({status}) before accepting connections:\n{}", self.log());
            }
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections in 60 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The directory the server runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The URL of database `name` as the test superuser, with the password.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{name}?sslmode=disable", self.port)
    }

    /// Makes a self-signed certificate for 127.0.0.1 (openssl) and the server's files of it;
    /// returns the `ALTER SYSTEM` statements that turn TLS on with them (then
    /// `SELECT pg_reload_conf()`). Clients that do not trust it must refuse the server.
    pub fn tls_statements(&self) -> Vec<String> {
        let (cert, key) = (self.dir.path().join("server.crt"), self.dir.path().join("server.key"));
        let output = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("run openssl (Debian's openssl package)");
        assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
        if let Some((uid, gid)) = ACCOUNT.get().copied() {
            for file in [&cert, &key] {
                std::os::unix::fs::chown(file, Some(uid), Some(gid)).expect("chown the certificate");
            }
        }
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod the key");
        vec![
            format!("ALTER SYSTEM SET ssl_cert_file = '{}'", cert.display()),
            format!("ALTER SYSTEM SET ssl_key_file = '{}'", key.display()),
            "ALTER SYSTEM SET ssl = on".to_owned(),
        ]
    }

    /// Creates database `name`; returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let output = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER, name])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("run createdb");
        assert!(
            output.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.url(name)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown, children included; then the directory goes with `dir`.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signals our own child.
            unsafe { libc::kill(pid, libc::SIGQUIT) };
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
