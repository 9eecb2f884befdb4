//! Turn latencies and errors over the last hour in bounded memory, whatever the call rate: one
//! slot per minute, each holding a sparse log-scale histogram per latency stage and its counts of
//! turns and errors. Memory follows the spread of the latencies, not their number: a slot holds
//! only the bins it saw (a few hundred for voice turns), so an agent taking a thousand turns a
//! minute costs what one taking ten does.
//!
//! Percentiles are nearest-rank over the bins: a bin is 1/128 wide (0.78 %) and reports the mean
//! of the values it holds, so a latency seen many times is reported exactly and any other within
//! the bin's width. Windows count whole minutes: the current, partly filled minute and the ones
//! before it that end inside the window.
//!
//! Our own and not the `hdrhistogram` crate: an HDR histogram allocates its whole counts array
//! up front (several kilobytes at two or three significant digits), and sixty of them per stage
//! per agent would cost megabytes a host does not need to spend.

use std::collections::VecDeque;

use super::{LatencySummary, Percentiles, TurnLatency};

/// One slot's span.
const SLOT_MS: u64 = 60_000;
/// Slots older than this are dropped.
const HISTORY_MS: u64 = 60 * SLOT_MS;
/// Bins grow by this ratio.
const GROWTH: f64 = 1.0 + 1.0 / 128.0;

/// A bin: its index, how many values it holds and their sum (the reported value is the mean).
#[derive(Debug, Clone, Copy)]
struct Bin {
    index: u16,
    count: u32,
    sum: f64,
}

/// The bin of a latency in milliseconds (finite, not negative).
fn bin_index(ms: f64) -> u16 {
    let index = ((ms + 1.0).ln() / GROWTH.ln()).floor();
    index.clamp(0.0, f64::from(u16::MAX)) as u16
}

/// A sparse histogram: bins sorted by index.
#[derive(Debug, Clone, Default)]
struct Sparse(Vec<Bin>);

impl Sparse {
    fn add(&mut self, ms: f64) {
        let index = bin_index(ms);
        match self.0.binary_search_by_key(&index, |bin| bin.index) {
            Ok(at) => {
                let bin = &mut self.0[at];
                bin.count = bin.count.saturating_add(1);
                bin.sum += ms;
            }
            Err(at) => self.0.insert(at, Bin { index, count: 1, sum: ms }),
        }
    }
}

/// One minute.
#[derive(Debug, Clone, Default)]
struct Slot {
    /// Minutes since the Unix epoch.
    minute: u64,
    turns: u64,
    errors: u64,
    /// e2e, llm_ttft, tts_ttfb, stt.
    stages: [Sparse; 4],
}

/// The values of each stage of a turn, in [`Slot::stages`] order.
fn stage_values(latency: &TurnLatency) -> [Option<f64>; 4] {
    [latency.e2e_ms, latency.llm_ttft_ms, latency.tts_ttfb_ms, latency.stt_ms]
}

/// The last hour of turns and errors, a slot a minute.
#[derive(Debug, Clone, Default)]
pub(super) struct Window {
    slots: VecDeque<Slot>,
}

impl Window {
    /// The slot for `now_ms`, created when its minute begins (a clock that stepped back counts
    /// into the newest slot).
    fn slot(&mut self, now_ms: u64) -> &mut Slot {
        let minute = now_ms / SLOT_MS;
        if self.slots.back().is_none_or(|slot| slot.minute < minute) {
            self.slots.push_back(Slot { minute, ..Slot::default() });
        }
        self.slots.back_mut().expect("a slot was just ensured")
    }

    pub(super) fn turn(&mut self, latency: &TurnLatency, now_ms: u64) {
        let slot = self.slot(now_ms);
        slot.turns += 1;
        for (stage, value) in slot.stages.iter_mut().zip(stage_values(latency)) {
            if let Some(ms) = value.filter(|ms| ms.is_finite() && *ms >= 0.0) {
                stage.add(ms);
            }
        }
    }

    pub(super) fn error(&mut self, now_ms: u64) {
        self.slot(now_ms).errors += 1;
    }

    /// Drops the slots that ended more than an hour before `now_ms`.
    pub(super) fn expire(&mut self, now_ms: u64) {
        let horizon = now_ms.saturating_sub(HISTORY_MS);
        while self.slots.front().is_some_and(|slot| (slot.minute + 1) * SLOT_MS <= horizon) {
            self.slots.pop_front();
        }
    }

    /// The slots that end inside the `window_ms` before `now_ms`.
    fn within(&self, now_ms: u64, window_ms: u64) -> impl Iterator<Item = &Slot> {
        let since = now_ms.saturating_sub(window_ms);
        self.slots.iter().filter(move |slot| (slot.minute + 1) * SLOT_MS > since)
    }

    /// Errors per turn over the window: error events / (turns + error events).
    pub(super) fn error_rate(&self, now_ms: u64, window_ms: u64) -> f64 {
        let (turns, errors) =
            self.within(now_ms, window_ms).fold((0, 0), |(t, e), slot| (t + slot.turns, e + slot.errors));
        if turns + errors == 0 { 0.0 } else { errors as f64 / (turns + errors) as f64 }
    }

    /// Each stage's percentiles over the window.
    pub(super) fn latency(&self, now_ms: u64, window_ms: u64) -> LatencySummary {
        let stage = |which: usize| {
            let mut bins: Vec<Bin> = self
                .within(now_ms, window_ms)
                .flat_map(|slot| slot.stages[which].0.iter().copied())
                .collect();
            bins.sort_unstable_by_key(|bin| bin.index);
            let mut merged: Vec<Bin> = Vec::with_capacity(bins.len());
            for bin in bins {
                match merged.last_mut() {
                    Some(last) if last.index == bin.index => {
                        last.count = last.count.saturating_add(bin.count);
                        last.sum += bin.sum;
                    }
                    _ => merged.push(bin),
                }
            }
            nearest_rank(&merged)
        };
        LatencySummary { e2e_ms: stage(0), llm_ttft_ms: stage(1), tts_ttfb_ms: stage(2), stt_ms: stage(3) }
    }
}

/// Nearest-rank p50, p95 and p99 of merged bins sorted by index; `None` when empty.
fn nearest_rank(bins: &[Bin]) -> Option<Percentiles> {
    let total: u64 = bins.iter().map(|bin| u64::from(bin.count)).sum();
    if total == 0 {
        return None;
    }
    let rank = |p: f64| {
        let wanted = ((p / 100.0) * total as f64).ceil().clamp(1.0, total as f64) as u64;
        let mut seen = 0;
        for bin in bins {
            seen += u64::from(bin.count);
            if seen >= wanted {
                return bin.sum / f64::from(bin.count);
            }
        }
        bins.last().map_or(0.0, |bin| bin.sum / f64::from(bin.count))
    };
    Some(Percentiles { p50: rank(50.0), p95: rank(95.0), p99: rank(99.0), count: total as usize })
}
