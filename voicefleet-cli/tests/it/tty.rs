//! Running the real binary in a clean environment (its own HOME and XDG directories, no
//! `VOICEFLEET_*`), through a pipe or on a pseudo-terminal.

use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A shell of its own: HOME, XDG_CONFIG_HOME and XDG_DATA_HOME under `home`, nothing of the
/// test runner's `VOICEFLEET_*`.
pub(crate) fn command(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicefleet"));
    command.args(args).env("HOME", home).env("XDG_CONFIG_HOME", home.join("config"));
    command.env("XDG_DATA_HOME", home.join("data"));
    for variable in ["VOICEFLEET_CONSOLE", "VOICEFLEET_TOKEN", "VOICEFLEET_DATA", "NO_COLOR"] {
        command.env_remove(variable);
    }
    command.envs(env.iter().copied());
    command
}

/// Runs off a terminal (standard input, output and error are pipes).
pub(crate) fn piped(home: &Path, args: &[&str], env: &[(&str, &str)]) -> voicefleet_tests::Run {
    let output = command(home, args, env).stdin(Stdio::null()).output().expect("run voicefleet");
    output.into()
}

/// What a run on a pseudo-terminal showed, and how it ended.
pub(crate) struct TtyRun {
    pub(crate) code: Option<i32>,
    /// Everything written to the terminal (standard output and error together).
    pub(crate) screen: String,
}

/// Runs on a pseudo-terminal (standard input, output and error all the terminal), typing
/// `input` once `prompt` shows; bounded to 30 s.
pub(crate) fn on_tty(home: &Path, args: &[&str], env: &[(&str, &str)], prompt: &str, input: &str) -> TtyRun {
    let answers: &[(&str, &str)] =
        if prompt.is_empty() && input.is_empty() { &[] } else { &[(prompt, input)] };
    on_tty_answering(home, args, env, answers)
}

/// [`on_tty`] with several prompts, each answered in turn once it shows.
pub(crate) fn on_tty_answering(
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    answers: &[(&str, &str)],
) -> TtyRun {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let slave = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup the terminal"));
    let mut command = command(home, args, env);
    command.stdin(slave(&pty.slave)).stdout(slave(&pty.slave)).stderr(slave(&pty.slave));
    // The terminal is the child's controlling terminal, as in a login shell: hidden prompts
    // (passwords, codes) open /dev/tty.
    // SAFETY: setsid and ioctl are async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt as _;
        command.pre_exec(|| {
            if nix::libc::setsid() == -1 || nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("run voicefleet");
    drop(pty.slave);
    let mut master = std::fs::File::from(pty.master);
    let mut reader = master.try_clone().expect("dup the terminal");
    let (sender, receiver) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        // Ends with EIO once the child closed its side.
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0 || sender.send(buffer[..read].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut screen = Vec::new();
    // How many answers were typed, and how much of the screen their prompts took.
    let (mut typed, mut seen) = (0, 0);
    let code = loop {
        while let Ok(chunk) = receiver.recv_timeout(Duration::from_millis(20)) {
            screen.extend_from_slice(&chunk);
        }
        if let Some((prompt, input)) = answers.get(typed)
            && let Some(at) = String::from_utf8_lossy(&screen[seen..]).find(prompt)
        {
            master.write_all(input.as_bytes()).expect("type on the terminal");
            typed += 1;
            seen += at + prompt.len();
        }
        if let Some(status) = child.try_wait().expect("wait") {
            while let Ok(chunk) = receiver.recv_timeout(Duration::from_millis(100)) {
                screen.extend_from_slice(&chunk);
            }
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after 30 s on the terminal:\n{}", String::from_utf8_lossy(&screen));
        }
    };
    TtyRun { code, screen: String::from_utf8_lossy(&screen).replace("\r\n", "\n") }
}
