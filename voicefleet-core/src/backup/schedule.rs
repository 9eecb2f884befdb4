//! Scheduled backups (`console serve --backup-every 24h --backup-to …`): every run is audited
//! by [`super::backup`]; a failed run raises the `backup_failed` alert on the console itself,
//! and the next good run resolves it.

use std::sync::Arc;
use std::time::Duration;

use super::create::{BackupOptions, backup};
use crate::clock::SharedClock;
use crate::console::{AlertNotifier, AlertRecord};

/// The alert's subject: not a customer (no customer id has parentheses).
pub const BACKUP_ALERT_SUBJECT: &str = "(console)";
const RULE: &str = "backup_failed";

/// How often, and what.
#[derive(Clone)]
pub struct ScheduleOptions {
    /// What each run does.
    pub backup: BackupOptions,
    /// Time between runs.
    pub every: Duration,
    /// Where alerts are posted as well (the console's alert webhook).
    pub notifier: Option<Arc<dyn AlertNotifier>>,
}

impl std::fmt::Debug for ScheduleOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduleOptions")
            .field("backup", &self.backup)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

/// Runs a backup every `options.every` (the first one `every` after the start) until the task is
/// aborted. Each run's outcome also goes to `on_run` (for the console's log).
pub fn spawn_schedule(
    options: ScheduleOptions,
    clock: SharedClock,
    on_run: impl Fn(&crate::Result<super::BackupReport>) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + options.every, options.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let result = backup(&options.backup, &clock).await;
            on_run(&result);
            let store = &options.backup.store;
            let current = store.alerts(false).await.ok().and_then(|alerts| {
                alerts.into_iter().find(|a| a.customer_id == BACKUP_ALERT_SUBJECT && a.rule == RULE)
            });
            let change = match (&result, current) {
                (Err(error), None) => Some(AlertRecord {
                    customer_id: BACKUP_ALERT_SUBJECT.to_owned(),
                    rule: RULE.to_owned(),
                    firing: true,
                    message: format!("backup to {} failed: {error}", options.backup.target.describe()),
                    since_ms: clock.now_ms(),
                    resolved_at_ms: None,
                }),
                (Ok(_), Some(firing)) => {
                    Some(AlertRecord { firing: false, resolved_at_ms: Some(clock.now_ms()), ..firing })
                }
                _ => None,
            };
            if let Some(alert) = change
                && store.upsert_alert(alert.clone()).await.is_ok()
                && let Some(notifier) = &options.notifier
            {
                notifier.notify(&alert).await;
            }
        }
    })
}
