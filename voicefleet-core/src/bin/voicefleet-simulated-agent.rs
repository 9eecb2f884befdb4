//! The simulated voice agent; see `voicefleet_core::simulator`.

fn main() {
    std::process::exit(voicefleet_core::simulator::run());
}
