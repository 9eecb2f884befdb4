//! Reading `/proc`: process start times (to recognise a PID for sure), process groups, and the
//! resource figures of a whole group. Cheaper than a general process library for one group.

use std::fs;
use std::time::{Duration, Instant};

/// Fields of `/proc/PID/stat` the supervisor uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) ppid: i32,
    pub(crate) pgrp: i32,
    pub(crate) state: char,
    /// User + system CPU time, in clock ticks.
    pub(crate) cpu_ticks: u64,
    pub(crate) threads: u64,
    /// Start time after boot, in clock ticks: with the PID, a process's identity.
    pub(crate) start_time: u64,
    pub(crate) rss_pages: u64,
}

pub(crate) fn stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field N is fields[N - 3].
    let field = |n: usize| fields.get(n - 3).and_then(|value| value.parse::<u64>().ok());
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        cpu_ticks: field(14)? + field(15)?,
        threads: field(20)?,
        start_time: field(22)?,
        rss_pages: field(24)?,
    })
}

/// True when `pid` is alive (not a zombie) and started at `start_time`.
pub(crate) fn is_same_process(pid: i32, start_time: u64) -> bool {
    stat(pid).is_some_and(|stat| stat.start_time == start_time && stat.state != 'Z')
}

fn all_pids() -> impl Iterator<Item = i32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse::<i32>().ok()))
}

/// Live members of process group `pgid`.
pub(crate) fn group_members(pgid: i32) -> Vec<(i32, ProcStat)> {
    all_pids()
        .filter_map(|pid| stat(pid).map(|stat| (pid, stat)))
        .filter(|(_, stat)| stat.pgrp == pgid && stat.state != 'Z')
        .collect()
}

/// Direct children of `ppid`, zombies included.
pub(crate) fn children_of(ppid: i32) -> Vec<i32> {
    all_pids().filter(|pid| stat(*pid).is_some_and(|stat| stat.ppid == ppid)).collect()
}

/// Open file descriptors of `pid` (0 when unreadable).
pub(crate) fn open_files(pid: i32) -> u64 {
    fs::read_dir(format!("/proc/{pid}/fd")).map(|dir| dir.count() as u64).unwrap_or(0)
}

pub(crate) fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// The summed figures of a group at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GroupUsage {
    pub(crate) processes: u64,
    pub(crate) cpu_ticks: u64,
    pub(crate) rss_bytes: u64,
    pub(crate) threads: u64,
    pub(crate) open_files: u64,
}

/// How long a group's membership may go without a full scan of `/proc` while processes are
/// being created on the machine.
const RESCAN_EVERY: Duration = Duration::from_secs(10);

/// Samples one process group cheaply: a full scan of `/proc` finds its members, later samples
/// read only those (one `stat` each). The machine's last allocated PID (`/proc/loadavg`) tells
/// whether any process was created since: if none was, no member can have joined; if some
/// were, the group is scanned again at most every [`RESCAN_EVERY`], so a new member of the
/// group counts within that time.
#[derive(Debug, Default)]
pub(crate) struct GroupSampler {
    pgid: i32,
    /// Known members: PID and start time.
    members: Vec<(i32, u64)>,
    scanned: Option<(Instant, Option<u64>)>,
}

impl GroupSampler {
    pub(crate) fn usage(&mut self, pgid: i32) -> GroupUsage {
        let last_pid = last_pid();
        let rescan = self.pgid != pgid
            || match self.scanned {
                None => true,
                Some((at, seen)) => seen != last_pid && at.elapsed() >= RESCAN_EVERY,
            };
        let members: Vec<(i32, ProcStat)> = if rescan {
            self.pgid = pgid;
            self.scanned = Some((Instant::now(), last_pid));
            group_members(pgid)
        } else {
            self.members
                .iter()
                .filter_map(|(pid, start_time)| {
                    stat(*pid).map(|stat| (*pid, stat)).filter(|(_, s)| s.start_time == *start_time)
                })
                .filter(|(_, stat)| stat.pgrp == pgid && stat.state != 'Z')
                .collect()
        };
        self.members = members.iter().map(|(pid, stat)| (*pid, stat.start_time)).collect();
        let page = page_size();
        members.into_iter().fold(GroupUsage::default(), |mut usage, (pid, stat)| {
            usage.processes += 1;
            usage.cpu_ticks += stat.cpu_ticks;
            usage.rss_bytes += stat.rss_pages * page;
            usage.threads += stat.threads;
            usage.open_files += open_files(pid);
            usage
        })
    }
}

/// The last PID the kernel allocated (the fifth field of `/proc/loadavg`).
fn last_pid() -> Option<u64> {
    fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().nth(4)?.parse().ok()
}
