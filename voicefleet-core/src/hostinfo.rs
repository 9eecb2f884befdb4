//! The machine a host agent runs on: CPU, memory, load and uptime (read with `sysinfo`), and the
//! free space of the filesystem that holds the state directory (`statvfs` on the directory itself:
//! it names exactly that filesystem, tmpfs included, where `sysinfo`'s disk list skips tmpfs and
//! would have to be matched by mount point).
//!
//! [`MachineMonitor`] samples on a timer of its own (the supervisor's metrics interval), never
//! per request, and keeps the last hour for the metrics history; [`attach_machine`] joins those
//! samples to the agent's by time.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::clock::SharedClock;
use crate::host::{MachineSample, MetricsSample};

/// Machine samples kept: one hour at one per second.
const HISTORY: usize = 3600;

/// Reads the machine's figures; each call is one sample.
#[derive(Debug)]
pub struct MachineProbe {
    system: sysinfo::System,
    state_dir: PathBuf,
    /// When CPU times were last read: usage is measured between two reads.
    cpu_read_at: Instant,
}

impl MachineProbe {
    /// A probe for the machine, with `state_dir`'s filesystem as the one whose space counts.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_cpu_usage();
        Self { system, state_dir: state_dir.into(), cpu_read_at: Instant::now() }
    }

    /// The machine now. CPU is busy time since the previous read; absent when that read was too
    /// recent to measure (the first sample, taken at once).
    pub fn sample(&mut self, at_ms: u64) -> MachineSample {
        let cpu_percent = if self.cpu_read_at.elapsed() >= sysinfo::MINIMUM_CPU_UPDATE_INTERVAL {
            self.system.refresh_cpu_usage();
            self.cpu_read_at = Instant::now();
            let usage = f64::from(self.system.global_cpu_usage());
            usage.is_finite().then(|| usage.clamp(0.0, 100.0))
        } else {
            None
        };
        self.system.refresh_memory();
        let total = Some(self.system.total_memory()).filter(|&total| total > 0);
        let available = total.map(|total| self.system.available_memory().min(total));
        let memory_used_percent = match (total, available) {
            (Some(total), Some(available)) => Some((total - available) as f64 / total as f64 * 100.0),
            _ => None,
        };
        let load = sysinfo::System::load_average();
        let (state_fs_available_bytes, state_fs_size_bytes) = filesystem_space(&self.state_dir).unzip();
        MachineSample {
            at_ms,
            cpu_percent,
            memory_total_bytes: total,
            memory_available_bytes: available,
            memory_used_percent,
            load1: Some(load.one).filter(|l| l.is_finite()),
            load5: Some(load.five).filter(|l| l.is_finite()),
            load15: Some(load.fifteen).filter(|l| l.is_finite()),
            uptime_seconds: Some(sysinfo::System::uptime()).filter(|&u| u > 0),
            state_fs_available_bytes,
            state_fs_size_bytes,
        }
    }
}

/// (available to unprivileged writers, size) of the filesystem holding `path`, in bytes.
fn filesystem_space(path: &Path) -> Option<(u64, u64)> {
    let stat = nix::sys::statvfs::statvfs(path).ok()?;
    let unit = stat.fragment_size() as u64;
    let size = (stat.blocks() as u64).saturating_mul(unit);
    let available = (stat.blocks_available() as u64).saturating_mul(unit).min(size);
    (size > 0).then_some((available, size))
}

#[derive(Debug, Default)]
struct Samples {
    latest: Option<MachineSample>,
    history: VecDeque<MachineSample>,
}

/// The machine's latest sample and its last hour, kept by a task of its own; the task ends when
/// the monitor is dropped.
#[derive(Debug)]
pub struct MachineMonitor {
    samples: Arc<Mutex<Samples>>,
    task: tokio::task::JoinHandle<()>,
    interval: Duration,
}

impl MachineMonitor {
    /// Samples the machine now and then every `interval`. Must be called inside a tokio runtime.
    pub fn spawn(state_dir: impl Into<PathBuf>, interval: Duration, clock: SharedClock) -> Self {
        let samples = Arc::new(Mutex::new(Samples::default()));
        let mut probe = MachineProbe::new(state_dir);
        let kept = samples.clone();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                // A few small reads of /proc and one statvfs: cheaper than a trip to a thread.
                let sample = probe.sample(clock.now_ms());
                let mut samples = kept.lock().unwrap_or_else(|p| p.into_inner());
                if samples.history.len() >= HISTORY {
                    samples.history.pop_front();
                }
                samples.history.push_back(sample);
                samples.latest = Some(sample);
            }
        });
        Self { samples, task, interval }
    }

    /// The latest sample (none before the first).
    pub fn latest(&self) -> Option<MachineSample> {
        self.samples.lock().unwrap_or_else(|p| p.into_inner()).latest
    }

    /// Gives each of `samples` the machine sample taken nearest to it (within two intervals).
    pub fn attach(&self, samples: &mut [MetricsSample]) {
        let mut kept = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let tolerance = u64::try_from((self.interval * 2).as_millis()).unwrap_or(u64::MAX);
        attach_machine(samples, kept.history.make_contiguous(), tolerance);
    }
}

impl Drop for MachineMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sets each sample's `machine` to the one of `machine` (sorted by time) nearest to it, when one
/// is within `tolerance_ms`; leaves it as it is otherwise.
pub fn attach_machine(samples: &mut [MetricsSample], machine: &[MachineSample], tolerance_ms: u64) {
    for sample in samples {
        let after = machine.partition_point(|m| m.at_ms < sample.at_ms);
        let nearest = [after.checked_sub(1), Some(after)]
            .into_iter()
            .flatten()
            .filter_map(|index| machine.get(index))
            .min_by_key(|m| m.at_ms.abs_diff(sample.at_ms));
        if let Some(found) = nearest.filter(|m| m.at_ms.abs_diff(sample.at_ms) <= tolerance_ms) {
            sample.machine = Some(*found);
        }
    }
}
