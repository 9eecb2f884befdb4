//! The per-agent shim binary; see `voicefleet_core::supervisor::run_shim`.

fn main() {
    std::process::exit(voicefleet_core::supervisor::run_shim(std::env::args_os().skip(1).collect()));
}
