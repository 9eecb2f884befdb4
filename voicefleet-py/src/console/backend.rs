//! Where the fleet is: the embedded console in a data directory, or a console server over HTTP.
//! Users and tokens are not part of the fleet trait; this is the one place that picks the
//! accounts of either.

use std::sync::Arc;

use voicefleet_core::Result;
use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock as _;
use voicefleet_core::console::{Actor, Fleet, TokenView, UserView};
use voicefleet_http::{ConsoleClient, Embedded, WhoAmI};

#[derive(Debug)]
pub(crate) enum Backend {
    Remote(ConsoleClient),
    Local(Box<Embedded>),
}

impl Backend {
    pub(crate) fn fleet(&self) -> Arc<dyn Fleet> {
        match self {
            Backend::Remote(client) => Arc::new(client.clone()),
            Backend::Local(embedded) => embedded.console.clone(),
        }
    }

    /// Whoever owns the data directory acts as admin on the embedded console; a remote console
    /// knows the caller by the token (the actor is not sent).
    pub(crate) fn actor(&self) -> Actor {
        match self {
            Backend::Remote(_) => Actor::new("remote", Role::Viewer),
            Backend::Local(_) => {
                let user = std::env::var("USER").unwrap_or_else(|_| "local".to_owned());
                Actor::new(&format!("python:{user}"), Role::Admin)
            }
        }
    }

    pub(crate) async fn whoami(&self) -> Result<WhoAmI> {
        match self {
            Backend::Remote(client) => client.whoami().await,
            Backend::Local(_) => {
                let actor = self.actor();
                Ok(WhoAmI { name: actor.name, role: actor.role })
            }
        }
    }

    pub(crate) async fn users(&self) -> Result<Vec<UserView>> {
        match self {
            Backend::Remote(client) => client.users().await,
            Backend::Local(embedded) => embedded.accounts.users(&self.actor()).await,
        }
    }

    pub(crate) async fn add_user(&self, name: &str, role: Role, password: &str) -> Result<UserView> {
        match self {
            Backend::Remote(client) => client.add_user(name, role, password).await,
            Backend::Local(embedded) => embedded.accounts.add_user(&self.actor(), name, role, password).await,
        }
    }

    pub(crate) async fn remove_user(&self, name: &str) -> Result<()> {
        match self {
            Backend::Remote(client) => client.remove_user(name).await,
            Backend::Local(embedded) => embedded.accounts.remove_user(&self.actor(), name).await,
        }
    }

    pub(crate) async fn set_password(&self, name: &str, password: &str, current: Option<&str>) -> Result<()> {
        match self {
            Backend::Remote(client) => client.set_password(name, password, current).await,
            Backend::Local(embedded) => {
                embedded.accounts.set_password(&self.actor(), name, password, current).await
            }
        }
    }

    pub(crate) async fn tokens(&self) -> Result<Vec<TokenView>> {
        match self {
            Backend::Remote(client) => client.tokens().await,
            Backend::Local(embedded) => embedded.accounts.tokens(&self.actor()).await,
        }
    }

    pub(crate) async fn create_token(
        &self,
        name: &str,
        role: Role,
        expires_in_seconds: Option<u64>,
    ) -> Result<TokenView> {
        match self {
            Backend::Remote(client) => client.create_token(name, role, expires_in_seconds).await,
            Backend::Local(embedded) => {
                let now = voicefleet_core::clock::SystemClock.now_ms();
                let expires = expires_in_seconds.map(|seconds| now + seconds.saturating_mul(1000));
                embedded.accounts.create_token(&self.actor(), name, role, expires).await
            }
        }
    }

    pub(crate) async fn revoke_token(&self, id: &str) -> Result<()> {
        match self {
            Backend::Remote(client) => client.revoke_token(id).await,
            Backend::Local(embedded) => embedded.accounts.revoke_token(&self.actor(), id).await,
        }
    }
}
