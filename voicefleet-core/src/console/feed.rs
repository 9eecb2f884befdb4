//! The console's live events (bulk progress, status changes, alerts) as its event stream serves
//! them: each numbered `ORIGIN-SEQ` by the console that published it and the last [`KEPT`] kept,
//! so a subscriber that reconnects with `Last-Event-ID` gets what it missed, or a gap when they
//! are no longer kept.
//!
//! Consoles sharing a store that gives an [`EventChannel`] (PostgreSQL: `LISTEN/NOTIFY`) publish
//! through it only, and deliver what comes back from it, their own events included: every
//! console delivers every event once, in the one order the channel gives them all, so an id
//! means the same position on each and a subscriber may resume on another console. Without a
//! channel (SQLite: one process) events are delivered at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use super::bulk::BulkEvent;
use super::fleet::FleetEvent;

/// Events kept for subscribers that resume.
pub const KEPT: usize = 1024;
/// The longest encoded event a channel carries (PostgreSQL's NOTIFY takes under 8000 bytes):
/// longer texts in an event are shortened to fit (the full record stays readable in the API).
pub const MAX_PAYLOAD: usize = 7_900;

/// One live event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveEvent {
    /// A bulk run's progress.
    Bulk(BulkEvent),
    /// A status change or an alert.
    Fleet(FleetEvent),
    /// Events of other consoles may have been missed here (the channel to them was lost).
    Gap,
}

/// A delivered event with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveItem {
    /// `ORIGIN-SEQ`: the publishing console and its count.
    pub id: String,
    /// The event.
    pub event: LiveEvent,
    /// Its place among the events this console delivered (increasing by one).
    pub position: u64,
}

/// What a subscriber gets: what it missed, then the live events.
#[derive(Debug)]
pub struct LiveSubscription {
    /// The events after the subscriber's `Last-Event-ID`, oldest first.
    pub backlog: Vec<Arc<LiveItem>>,
    /// The `Last-Event-ID` given is not kept here (too old, or never seen): an unknown number
    /// of events were missed.
    pub gap: bool,
    /// The live events; those at or before `after` were in the backlog already.
    pub receiver: broadcast::Receiver<Arc<LiveItem>>,
    /// The position of the last event the backlog holds (or before the first live one).
    pub after: u64,
}

/// What a store's event channel hands the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelMessage {
    /// An encoded event (this console's own too).
    Payload(String),
    /// The channel was lost and is back: what was sent meanwhile may be missed.
    Reconnected,
}

/// A channel to every console on a store: what is sent reaches all of them, this one included,
/// in one order.
#[derive(Debug)]
pub struct EventChannel {
    /// Encoded events to send.
    pub outgoing: mpsc::UnboundedSender<String>,
    /// What arrives.
    pub incoming: mpsc::UnboundedReceiver<ChannelMessage>,
}

#[derive(Debug, Default)]
struct Ring {
    next_position: u64,
    items: VecDeque<Arc<LiveItem>>,
}

#[derive(Debug)]
struct Shared {
    /// Random per process: ids of another console, or an earlier process, never collide.
    origin: String,
    next_seq: AtomicU64,
    ring: Mutex<Ring>,
    items: broadcast::Sender<Arc<LiveItem>>,
    bulk: broadcast::Sender<BulkEvent>,
    fleet: broadcast::Sender<FleetEvent>,
    relay: Mutex<Option<mpsc::UnboundedSender<String>>>,
}

/// The console's live events; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventFeed {
    shared: Arc<Shared>,
}

#[derive(Serialize, Deserialize)]
struct Encoded {
    id: String,
    event: LiveEvent,
}

impl Default for EventFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl EventFeed {
    /// A feed delivering in process until a channel is attached.
    pub fn new() -> Self {
        let origin = crate::random::hex::<4>().unwrap_or_else(|_| format!("{:x}", std::process::id()));
        let (items, _) = broadcast::channel(4096);
        let (bulk, _) = broadcast::channel(4096);
        let (fleet, _) = broadcast::channel(4096);
        Self {
            shared: Arc::new(Shared {
                origin,
                next_seq: AtomicU64::new(0),
                ring: Mutex::new(Ring { next_position: 1, items: VecDeque::new() }),
                items,
                bulk,
                fleet,
                relay: Mutex::new(None),
            }),
        }
    }

    /// Publishes `event` to every console's subscribers (through the channel when one is
    /// attached, else here at once); returns its number in this console.
    pub fn publish(&self, event: LiveEvent) -> u64 {
        let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("{}-{seq}", self.shared.origin);
        let relay = self.shared.relay.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(relay) = relay
            && let Some(payload) = encode(&id, &event)
            && relay.send(payload).is_ok()
        {
            return seq;
        }
        self.deliver(id, event);
        seq
    }

    /// Hands `event` to this console's subscribers.
    fn deliver(&self, id: String, event: LiveEvent) {
        let mut ring = self.shared.ring.lock().unwrap_or_else(|p| p.into_inner());
        let position = ring.next_position;
        ring.next_position += 1;
        let item = Arc::new(LiveItem { id, event, position });
        if ring.items.len() == KEPT {
            ring.items.pop_front();
        }
        ring.items.push_back(item.clone());
        match &item.event {
            LiveEvent::Bulk(event) => {
                let _ = self.shared.bulk.send(event.clone());
            }
            LiveEvent::Fleet(event) => {
                let _ = self.shared.fleet.send(event.clone());
            }
            LiveEvent::Gap => {}
        }
        // Sent under the lock: the ring and the live channel agree on the order.
        let _ = self.shared.items.send(item);
    }

    /// Delivers what a channel brought; a payload it cannot read counts as a gap.
    pub fn receive(&self, message: ChannelMessage) {
        let decoded = match &message {
            ChannelMessage::Payload(payload) => serde_json::from_str::<Encoded>(payload).ok(),
            ChannelMessage::Reconnected => None,
        };
        match decoded {
            Some(Encoded { id, event }) => self.deliver(id, event),
            None => {
                let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
                self.deliver(format!("{}-{seq}", self.shared.origin), LiveEvent::Gap);
            }
        }
    }

    /// Publishes through `outgoing` from now on (`None`: here at once again).
    pub fn relay_through(&self, outgoing: Option<mpsc::UnboundedSender<String>>) {
        *self.shared.relay.lock().unwrap_or_else(|p| p.into_inner()) = outgoing;
    }

    /// Bulk progress as it is delivered here.
    pub fn bulk_events(&self) -> broadcast::Receiver<BulkEvent> {
        self.shared.bulk.subscribe()
    }

    /// Status changes and alerts as they are delivered here.
    pub fn fleet_events(&self) -> broadcast::Receiver<FleetEvent> {
        self.shared.fleet.subscribe()
    }

    /// A subscription resuming after `last_event_id` when given.
    pub fn subscribe(&self, last_event_id: Option<&str>) -> LiveSubscription {
        let ring = self.shared.ring.lock().unwrap_or_else(|p| p.into_inner());
        // Subscribed under the lock: nothing falls between the backlog and the live events.
        let receiver = self.shared.items.subscribe();
        let after = ring.next_position - 1;
        let Some(last) = last_event_id else {
            return LiveSubscription { backlog: Vec::new(), gap: false, receiver, after };
        };
        match ring.items.iter().position(|item| item.id == last) {
            Some(index) => LiveSubscription {
                backlog: ring.items.iter().skip(index + 1).cloned().collect(),
                gap: false,
                receiver,
                after,
            },
            None => LiveSubscription { backlog: Vec::new(), gap: true, receiver, after },
        }
    }
}

/// The publishing end bulk runs send their progress to (`run.rs`, `recover.rs`).
#[derive(Debug, Clone)]
pub(crate) struct BulkEvents(EventFeed);

impl BulkEvents {
    pub(crate) fn new(feed: EventFeed) -> Self {
        Self(feed)
    }

    /// Publishes `event`; returns its number in this console.
    pub(crate) fn send(&self, event: BulkEvent) -> u64 {
        self.0.publish(LiveEvent::Bulk(event))
    }
}

impl super::Console {
    /// Relays live events through the store's channel to every console on it, when the store
    /// has one (PostgreSQL), until the task is aborted; `None` for a store of one process.
    pub async fn relay_events(&self) -> crate::error::Result<Option<tokio::task::JoinHandle<()>>> {
        let Some(mut channel) = self.store.event_channel().await? else { return Ok(None) };
        let feed = self.feed.clone();
        feed.relay_through(Some(channel.outgoing.clone()));
        Ok(Some(tokio::spawn(async move {
            while let Some(message) = channel.incoming.recv().await {
                feed.receive(message);
            }
            feed.relay_through(None);
        })))
    }
}

/// `{"id": …, "event": …}`, shortened to [`MAX_PAYLOAD`] bytes when needed; none when it cannot be.
fn encode(id: &str, event: &LiveEvent) -> Option<String> {
    let encoded = Encoded { id: id.to_owned(), event: event.clone() };
    let mut value = serde_json::to_value(&encoded).ok()?;
    let mut longest = 2048;
    loop {
        let text = value.to_string();
        if text.len() <= MAX_PAYLOAD {
            return Some(text);
        }
        if longest < 16 {
            return None;
        }
        shorten(&mut value, longest);
        longest /= 2;
    }
}

/// Cuts every string in `value` longer than `longest` characters down to it, with `…`.
fn shorten(value: &mut serde_json::Value, longest: usize) {
    match value {
        serde_json::Value::String(text) if text.chars().count() > longest => {
            *text = text.chars().take(longest).chain(std::iter::once('…')).collect();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| shorten(item, longest)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|field| shorten(field, longest)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert_event(message: &str) -> LiveEvent {
        LiveEvent::Fleet(FleetEvent::StatusChanged {
            customer_id: message.to_owned(),
            from: "running".to_owned(),
            to: "crashed".to_owned(),
            at_ms: 1,
            exit: None,
            restarts: None,
            pid: None,
        })
    }

    #[test]
    fn long_events_are_shortened_to_fit_a_channel() {
        let long = "x".repeat(20_000);
        let text = encode("a-1", &alert_event(&long)).unwrap();
        assert!(text.len() <= MAX_PAYLOAD, "{}", text.len());
        let back: Encoded = serde_json::from_str(&text).unwrap();
        assert_eq!(back.id, "a-1");
        let short = encode("a-2", &alert_event("acme")).unwrap();
        assert_eq!(serde_json::from_str::<Encoded>(&short).unwrap().event, alert_event("acme"));
    }

    #[test]
    fn a_subscriber_resumes_after_its_last_event_or_is_told_of_a_gap() {
        let feed = EventFeed::new();
        let first = feed.publish(alert_event("one"));
        feed.publish(alert_event("two"));
        feed.publish(alert_event("three"));
        let id = format!("{}-{first}", feed.shared.origin);
        let resumed = feed.subscribe(Some(&id));
        assert!(!resumed.gap);
        let names: Vec<_> = resumed.backlog.iter().map(|item| item.position).collect();
        assert_eq!(names, [2, 3]);
        assert_eq!(resumed.after, 3);
        assert!(feed.subscribe(Some("elsewhere-9")).gap);
        assert!(feed.subscribe(None).backlog.is_empty());
    }

    #[test]
    fn with_a_channel_events_are_delivered_only_when_they_come_back() {
        let feed = EventFeed::new();
        let (outgoing, mut sent) = mpsc::unbounded_channel();
        feed.relay_through(Some(outgoing));
        let mut live = feed.subscribe(None).receiver;
        feed.publish(alert_event("acme"));
        assert!(live.try_recv().is_err(), "not delivered before the channel brings it back");
        let payload = sent.try_recv().unwrap();
        feed.receive(ChannelMessage::Payload(payload));
        assert_eq!(live.try_recv().unwrap().event, alert_event("acme"));
        assert!(live.try_recv().is_err(), "delivered once");
        feed.receive(ChannelMessage::Reconnected);
        assert_eq!(live.try_recv().unwrap().event, LiveEvent::Gap);
    }
}
