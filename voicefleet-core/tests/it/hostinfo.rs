//! The host machine's figures: a real probe of this machine reads sane values, and the join of
//! machine samples to the agent's samples by time.

use std::time::Duration;

use voicefleet_core::host::{MachineSample, MetricsSample};
use voicefleet_core::hostinfo::{MachineProbe, attach_machine};

#[test]
fn a_probe_reads_this_machine_in_sane_ranges() {
    let dir = voicefleet_tests::scratch();
    let mut probe = MachineProbe::new(dir.path());
    let first = probe.sample(1_000);
    // CPU needs two reads some time apart: the first sample, taken at once, has none.
    assert_eq!(first.cpu_percent, None);
    std::thread::sleep(Duration::from_millis(250));
    let sample = probe.sample(2_000);
    assert_eq!(sample.at_ms, 2_000);
    let cpu = sample.cpu_percent.expect("CPU measured after 250 ms");
    assert!((0.0..=100.0).contains(&cpu), "{cpu}");
    let total = sample.memory_total_bytes.expect("memory total");
    let available = sample.memory_available_bytes.expect("memory available");
    assert!(total > 16 << 20 && available <= total, "{available} of {total}");
    let used = sample.memory_used_percent.unwrap();
    assert!((0.0..=100.0).contains(&used), "{used}");
    let (load1, load15) = (sample.load1.unwrap(), sample.load15.unwrap());
    assert!(load1 >= 0.0 && load15 >= 0.0);
    assert!(sample.uptime_seconds.unwrap() > 0);
    let size = sample.state_fs_size_bytes.expect("the state directory's filesystem");
    let free = sample.state_fs_available_bytes.unwrap();
    assert!(free <= size && size > 0, "{free} of {size}");
    assert_eq!(sample.state_fs_available_ratio(), Some(free as f64 / size as f64));
}

#[test]
fn a_missing_state_directory_leaves_its_filesystem_unknown() {
    let dir = voicefleet_tests::scratch();
    let mut probe = MachineProbe::new(dir.path().join("not there"));
    let sample = probe.sample(1);
    assert_eq!((sample.state_fs_available_bytes, sample.state_fs_size_bytes), (None, None));
    assert!(sample.memory_total_bytes.is_some());
}

fn machine(at_ms: u64) -> MachineSample {
    MachineSample { at_ms, load1: Some(at_ms as f64), ..MachineSample::default() }
}

fn agent(at_ms: u64) -> MetricsSample {
    MetricsSample { at_ms, ..MetricsSample::default() }
}

#[test]
fn each_agent_sample_gets_the_nearest_machine_sample_within_the_tolerance() {
    let machines = [machine(1_000), machine(2_000), machine(3_000), machine(9_000)];
    let mut samples = vec![agent(900), agent(1_400), agent(1_600), agent(3_000), agent(6_000), agent(12_000)];
    attach_machine(&mut samples, &machines, 2_000);
    let joined: Vec<Option<u64>> = samples.iter().map(|s| s.machine.map(|m| m.at_ms)).collect();
    assert_eq!(
        joined,
        // 6,000 is 3 s from both neighbours, 12,000 is 3 s after the last: over the tolerance.
        vec![Some(1_000), Some(1_000), Some(2_000), Some(3_000), None, None]
    );
    // Nothing to join: unchanged.
    let mut alone = vec![agent(5)];
    attach_machine(&mut alone, &[], 2_000);
    assert_eq!(alone[0].machine, None);
}
