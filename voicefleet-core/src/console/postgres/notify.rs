//! Live events between the consoles on one database: `NOTIFY voicefleet_events` to send,
//! `LISTEN voicefleet_events` to receive, on one connection of its own (a pooled connection is
//! shared, so it cannot listen). PostgreSQL delivers notifications to every listener, the sender
//! included, in the order their transactions committed: every console sees one order. When the
//! connection is lost it is made again (every second until it is back) and the console is told
//! events may have been missed; an event that cannot be sent meanwhile is delivered here only.

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Client};

use super::{PostgresStore, connect, db_error};
use crate::console::feed::{ChannelMessage, EventChannel};
use crate::error::Result;

/// The channel every console listens on.
const CHANNEL: &str = "voicefleet_events";
/// How the listening connection names itself (`pg_stat_activity.application_name`).
const APPLICATION_NAME: &str = "voicefleet-console-events";
/// The wait before connecting again.
const RETRY: Duration = Duration::from_secs(1);

/// A listening connection: its client, and the task reading its messages (it ends with it).
struct Listening {
    client: Client,
    reader: tokio::task::JoinHandle<()>,
}

impl PostgresStore {
    /// Opens the listening connection (an error when it cannot be made now) and the task that
    /// keeps it, which ends when the console drops either end of the channel.
    pub(super) async fn listen(&self) -> Result<EventChannel> {
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        let (received, incoming) = mpsc::unbounded_channel();
        let mut listening = self.open_listening(&received).await?;
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    payload = to_send.recv() => {
                        let Some(payload) = payload else { break };
                        if listening.client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await.is_err() {
                            // Not sent: delivered here at least, and the connection made again.
                            let _ = received.send(ChannelMessage::Payload(payload));
                            listening.reader.abort();
                        }
                    }
                    _ = received.closed() => break,
                    _ = wait_finished(&mut listening.reader) => {}
                }
                if listening.reader.is_finished() {
                    listening = loop {
                        tokio::time::sleep(RETRY).await;
                        if received.is_closed() {
                            return;
                        }
                        if let Ok(again) = store.open_listening(&received).await {
                            break again;
                        }
                    };
                    let _ = received.send(ChannelMessage::Reconnected);
                }
            }
            listening.reader.abort();
        });
        Ok(EventChannel { outgoing, incoming })
    }

    /// Connects (TLS as the pool does), starts reading notifications into `received`, and
    /// listens.
    async fn open_listening(&self, received: &mpsc::UnboundedSender<ChannelMessage>) -> Result<Listening> {
        let fail = |error: tokio_postgres::Error| connect::connect_error(&self.shown, &error);
        let mut config = (*self.config).clone();
        config.application_name(APPLICATION_NAME);
        let (client, reader) = if config.get_ssl_mode() == SslMode::Disable {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(fail)?;
            (client, read(connection, received.clone()))
        } else {
            let (client, connection) = config.connect(connect::tls()?).await.map_err(fail)?;
            (client, read(connection, received.clone()))
        };
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(db_error)?;
        Ok(Listening { client, reader })
    }
}

/// Drives `connection`, handing each notification to `received`; ends with the connection.
fn read<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    received: mpsc::UnboundedSender<ChannelMessage>,
) -> tokio::task::JoinHandle<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) if notification.channel() == CHANNEL => {
                    if received.send(ChannelMessage::Payload(notification.payload().to_owned())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    })
}

/// Waits until `task` has finished, without taking it.
async fn wait_finished(task: &mut tokio::task::JoinHandle<()>) {
    let _ = task.await;
}
