//! The host's event log behind `GET /v1/events`: every [`HostEvent`] numbered and the last
//! [`CAPACITY`] kept, so each SSE event carries an id (`EPOCH-SEQ`) and a subscriber that
//! reconnects with `Last-Event-ID` gets what it missed — or a `lagged` event saying how many were
//! lost when the log no longer holds them (or, with another epoch, that the host agent restarted
//! and an unknown number were).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use axum::response::sse::Event;
use futures_util::{Stream, StreamExt as _};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use voicefleet_core::clock::SharedClock;
use voicefleet_core::host::{Host, HostEvent};

/// Events kept for replay.
pub(crate) const CAPACITY: usize = 512;

/// The SSE name of each event.
pub(crate) fn event_name(event: &HostEvent) -> &'static str {
    match event {
        HostEvent::StateChanged { .. } => "state_changed",
        HostEvent::Exited { .. } => "exited",
        HostEvent::CrashLoop { .. } => "crash_loop",
        HostEvent::ConfigApplied { .. } => "config_applied",
        HostEvent::MemoryLimit { .. } => "memory_limit",
        HostEvent::Lagged { .. } => "lagged",
    }
}

#[derive(Debug, Default)]
struct Ring {
    /// The number the next event gets; the first is 1, so `EPOCH-0` means "nothing yet".
    next: u64,
    events: VecDeque<(u64, HostEvent)>,
}

#[derive(Debug)]
struct Shared {
    ring: Mutex<Ring>,
    live: broadcast::Sender<(u64, HostEvent)>,
}

impl Shared {
    fn push(&self, event: HostEvent) {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let seq = ring.next;
        ring.next += 1;
        if ring.events.len() == CAPACITY {
            ring.events.pop_front();
        }
        ring.events.push_back((seq, event.clone()));
        // Sent under the lock: the ring and the live channel agree on the order.
        let _ = self.live.send((seq, event));
    }
}

/// One host's numbered events; the recorder starts with the first subscriber.
#[derive(Debug)]
pub(crate) struct EventLog {
    /// Random per process: ids of an earlier host agent are recognised as such.
    epoch: String,
    shared: Arc<Shared>,
    started: AtomicBool,
    clock: SharedClock,
}

/// Where a subscriber stands, from its `Last-Event-ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    /// A new subscriber: events from now on.
    Fresh,
    /// Replay everything after this number.
    After(u64),
    /// An id of another epoch (the host agent restarted) or unreadable: a gap of unknown size.
    Unknown,
}

impl EventLog {
    pub(crate) fn new(clock: SharedClock) -> Self {
        let epoch = voicefleet_core::random::hex::<6>().unwrap_or_else(|_| format!("{:x}", clock.now_ms()));
        let (live, _) = broadcast::channel(CAPACITY);
        Self {
            epoch,
            shared: Arc::new(Shared { ring: Mutex::new(Ring { next: 1, events: VecDeque::new() }), live }),
            started: AtomicBool::new(false),
            clock,
        }
    }

    /// Starts recording `host`'s events (once; it ends with the host's channel or this log).
    fn ensure_recording(&self, host: &Arc<dyn Host>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let receiver = host.subscribe();
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        let clock = self.clock.clone();
        tokio::spawn(async move {
            let mut receiver = receiver;
            loop {
                let event = match receiver.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        HostEvent::Lagged { at_ms: clock.now_ms(), missed: Some(missed) }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let Some(shared) = shared.upgrade() else { return };
                shared.push(event);
            }
        });
    }

    fn resume(&self, last_event_id: Option<&str>) -> Resume {
        let Some(id) = last_event_id else { return Resume::Fresh };
        match id.split_once('-') {
            Some((epoch, seq)) if epoch == self.epoch => seq.parse().map_or(Resume::Unknown, Resume::After),
            _ => Resume::Unknown,
        }
    }

    fn encode(&self, seq: Option<u64>, event: &HostEvent) -> Event {
        let encoded = Event::default()
            .event(event_name(event))
            .json_data(event)
            .unwrap_or_else(|_| Event::default().comment("unencodable event"));
        match seq {
            Some(seq) => encoded.id(format!("{}-{seq}", self.epoch)),
            None => encoded,
        }
    }

    /// The SSE stream for one subscriber: an `open` event naming the current position (so a
    /// subscriber that saw no event yet can still resume), what it missed, then live events.
    pub(crate) fn stream(
        &self,
        host: &Arc<dyn Host>,
        last_event_id: Option<&str>,
    ) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static + use<> {
        self.ensure_recording(host);
        let receiver = self.shared.live.subscribe();
        let (backlog, next) = {
            let ring = self.shared.ring.lock().unwrap_or_else(|p| p.into_inner());
            (ring.events.clone(), ring.next)
        };
        let now = self.clock.now_ms();
        let mut first: Vec<Event> = Vec::new();
        let mut delivered = next - 1;
        let resume = self.resume(last_event_id);
        // The open event's id is where the subscriber stands before any replay, so a connection
        // lost during the replay resumes from there.
        let standing = match resume {
            Resume::After(seen) if seen < next => seen,
            _ => delivered,
        };
        match resume {
            Resume::Fresh => {}
            Resume::Unknown => {
                first.push(self.encode(None, &HostEvent::Lagged { at_ms: now, missed: None }));
            }
            Resume::After(seen) if seen < next => {
                delivered = backlog.back().map_or(delivered, |(seq, _)| *seq).max(seen);
                let oldest = backlog.front().map_or(next, |(seq, _)| *seq);
                if seen + 1 < oldest {
                    let missed = Some(oldest - seen - 1);
                    first.push(self.encode(None, &HostEvent::Lagged { at_ms: now, missed }));
                }
                first.extend(
                    backlog
                        .iter()
                        .filter(|(seq, _)| *seq > seen)
                        .map(|(seq, event)| self.encode(Some(*seq), event)),
                );
            }
            // A number this log never gave: the subscriber cannot know what it missed.
            Resume::After(_) => {
                first.push(self.encode(None, &HostEvent::Lagged { at_ms: now, missed: None }));
            }
        }
        first.insert(0, Event::default().event("open").id(format!("{}-{standing}", self.epoch)).data("{}"));
        let epoch = self.epoch.clone();
        let clock = self.clock.clone();
        let live = BroadcastStream::new(receiver).filter_map(move |item| {
            let out = match item {
                Ok((seq, _)) if seq <= delivered => None,
                Ok((seq, event)) => {
                    delivered = seq;
                    Some(
                        Event::default()
                            .event(event_name(&event))
                            .id(format!("{epoch}-{seq}"))
                            .json_data(&event)
                            .unwrap_or_else(|_| Event::default().comment("unencodable event")),
                    )
                }
                Err(BroadcastStreamRecvError::Lagged(missed)) => {
                    let event = HostEvent::Lagged { at_ms: clock.now_ms(), missed: Some(missed) };
                    Some(Event::default().event("lagged").json_data(&event).unwrap_or_default())
                }
            };
            std::future::ready(out.map(Ok))
        });
        futures_util::stream::iter(first.into_iter().map(Ok)).chain(live)
    }
}
