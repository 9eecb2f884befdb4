//! The `recovery` alert: what automatic recovery did for a customer, and when the customer was
//! healthy again. Each step opens the alert (or adds to the open one) and notifies it (the
//! webhook); the customer's agent running again resolves it with the time, and notifies again.

use super::{AlertRecord, Console};
use crate::error::Result;

/// The alert's rule name.
pub(super) const RULE: &str = "recovery";

fn at(ms: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
        .to_string()
}

impl Console {
    async fn open_recovery_alert(&self, id: &str) -> Result<Option<AlertRecord>> {
        Ok(self.store.customer_alerts(id).await?.into_iter().find(|a| a.rule == RULE && a.firing))
    }

    /// Records `what` was done for customer `id` now: opens the `recovery` alert or adds to it.
    pub(super) async fn recovery_step_notice(&self, id: &str, what: &str) -> Result<()> {
        let now = self.options.clock.now_ms();
        let line = format!("{what} at {}", at(now));
        let alert = match self.open_recovery_alert(id).await? {
            Some(open) => AlertRecord { message: format!("{}; {line}", open.message), ..open },
            None => AlertRecord {
                customer_id: id.to_owned(),
                rule: RULE.to_owned(),
                firing: true,
                message: format!("automatic recovery: {line}"),
                since_ms: now,
                resolved_at_ms: None,
            },
        };
        self.publish_alert(alert).await
    }

    /// Customer `id` runs again: resolves its open `recovery` alert, saying when. Whether there
    /// was one.
    pub(super) async fn recovery_healthy_notice(&self, id: &str) -> Result<bool> {
        let Some(open) = self.open_recovery_alert(id).await? else { return Ok(false) };
        let now = self.options.clock.now_ms();
        let after = now.saturating_sub(open.since_ms) / 1000;
        let message =
            format!("{}; healthy again at {} ({after}s after recovery started)", open.message, at(now));
        self.publish_alert(AlertRecord { firing: false, resolved_at_ms: Some(now), message, ..open }).await?;
        Ok(true)
    }
}
