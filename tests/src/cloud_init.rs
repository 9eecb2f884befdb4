//! A customer host as cloud-init would set it up, on loopback: the files a host's user data
//! writes (`write_files`: the agent's settings, the console's key, the TLS key and certificate)
//! are written under a scratch directory instead of `/etc`, and the `voicefleet-agent` binary
//! runs with those settings, listening on 127.0.0.1 instead of every address and running the
//! voice agent as the test's user (not as the package's `voicefleet-voice`). Nothing else of the
//! user data runs (no package install, no systemd).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{AgentCleanup, TempDir, workspace_binary};

/// A host agent started from a host's user data; killed when dropped.
#[derive(Debug)]
pub struct CloudInitHost {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The files cloud-init would have written, by their path on a real host.
    pub files: Vec<(String, String)>,
    _cleanup: AgentCleanup,
    _dir: TempDir,
}

/// Every `write_files` entry of a cloud-config document: (path, content). Reads the template's
/// own layout (`- path:` then `content: |` with the content indented six spaces).
pub fn written_files(user_data: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut lines = user_data.lines().peekable();
    let mut path: Option<String> = None;
    while let Some(line) = lines.next() {
        if let Some(rest) = line.trim_start().strip_prefix("- path: ") {
            path = Some(rest.trim().to_owned());
        } else if line.trim() == "content: |"
            && let Some(path) = path.take()
        {
            let mut content = String::new();
            while let Some(next) = lines.peek() {
                let Some(body) = next.strip_prefix("      ") else {
                    if next.trim().is_empty() {
                        lines.next();
                        continue;
                    }
                    break;
                };
                content.push_str(body);
                content.push('\n');
                lines.next();
            }
            files.push((path, content));
        }
    }
    files
}

impl CloudInitHost {
    /// Writes the user data's files under a scratch root and starts the host agent they set
    /// up, on 127.0.0.1:`port`; waits (at most 30 s) until it accepts connections.
    pub fn start(user_data: &str, port: u16) -> CloudInitHost {
        let dir = crate::scratch();
        let root = dir.path().join("root");
        let files = written_files(user_data);
        assert!(
            files.iter().any(|(path, _)| path == "/etc/voicefleet-agent/agent.toml"),
            "the user data writes no agent settings:\n{user_data}"
        );
        for (path, content) in &files {
            let local = root.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(local.parent().expect("a parent")).expect("create the directory");
            std::fs::write(&local, content).expect("write a file cloud-init writes");
        }
        let state = dir.path().join("state");
        let settings = root.join("etc/voicefleet-agent/agent.toml");
        let written = std::fs::read_to_string(&settings).expect("read the settings");
        let etc = root.join("etc").display().to_string();
        let mut local: String = written
            .lines()
            .filter(|line| !line.starts_with("agent_user"))
            .map(|line| {
                if line.starts_with("listen") {
                    format!("listen = \"127.0.0.1:{port}\"\n")
                } else {
                    format!("{}\n", line.replace("\"/etc", &format!("\"{etc}")))
                }
            })
            .collect();
        local.push_str(&format!("state_dir = \"{}\"\nstop_agent_on_exit = true\n", state.display()));
        std::fs::write(&settings, local).expect("write the local settings");
        let child = Command::new(workspace_binary("voicefleet-agent"))
            .args(["--settings", settings.to_str().expect("a UTF-8 path")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start voicefleet-agent");
        let ready = crate::wait_until(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(ready, "the host agent did not listen on 127.0.0.1:{port} within 30 s");
        CloudInitHost {
            child,
            endpoint: format!("https://127.0.0.1:{port}"),
            files,
            _cleanup: AgentCleanup(state),
            _dir: dir,
        }
    }

    /// The host agent's state directory (its configuration, secrets, logs).
    pub fn state_dir(&self) -> PathBuf {
        self._dir.path().join("state")
    }

    /// The content of a file cloud-init would have written at `path`.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files.iter().find(|(p, _)| p == path).map(|(_, content)| content.as_str())
    }

    /// Stops the host agent (and its voice agent) now.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let exited =
            crate::wait_until(Duration::from_secs(10), || matches!(self.child.try_wait(), Ok(Some(_))));
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for CloudInitHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("an address").port()
}
