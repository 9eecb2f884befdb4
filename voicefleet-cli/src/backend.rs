//! Where the fleet is: a console server (`--console`), or the embedded console in a data
//! directory. Either way the commands see the same fleet trait.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock as _;
use voicefleet_core::console::{Actor, Fleet, TokenView, UserView};
use voicefleet_http::{ConsoleClient, Embedded, WhoAmI, open_embedded};

use crate::cli::Global;

/// The saved login, `~/.config/voicefleet/credentials.json` (mode 0600).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Credentials {
    pub(crate) console: String,
    pub(crate) token: String,
}

/// XDG's config directory (`dirs` reads XDG_CONFIG_HOME, else ~/.config).
pub(crate) fn credentials_path() -> Option<PathBuf> {
    Some(dirs::config_dir()?.join("voicefleet").join("credentials.json"))
}

pub(crate) fn saved_credentials() -> Option<Credentials> {
    let text = std::fs::read_to_string(credentials_path()?).ok()?;
    serde_json::from_str(&text).ok()
}

/// XDG's data directory (`dirs` reads XDG_DATA_HOME, else ~/.local/share).
pub(crate) fn default_data_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("voicefleet")
}

pub(crate) enum Backend {
    Remote(ConsoleClient),
    Local(Embedded),
}

impl Backend {
    pub(crate) async fn open(global: &Global) -> anyhow::Result<Backend> {
        let saved = saved_credentials();
        let console = global.console.clone().or_else(|| saved.as_ref().map(|c| c.console.clone()));
        match console {
            Some(url) => {
                let token = global.token.clone().or_else(|| {
                    saved
                        .filter(|c| c.console.trim_end_matches('/') == url.trim_end_matches('/'))
                        .map(|c| c.token)
                });
                Ok(Backend::Remote(ConsoleClient::new(&url, token)?))
            }
            None => {
                let dir = global.data.clone().unwrap_or_else(default_data_dir);
                let embedded = open_embedded(dir.clone(), None, Duration::from_secs(3))
                    .await
                    .with_context(|| format!("cannot open the embedded console in {}", dir.display()))?;
                if let Some((name, password)) = &embedded.first_admin {
                    eprintln!("created the console's first admin `{name}` with password {password}");
                    eprintln!("(shown once; the embedded console in {} needs no login)", dir.display());
                }
                Ok(Backend::Local(embedded))
            }
        }
    }

    pub(crate) fn fleet(&self) -> Arc<dyn Fleet> {
        match self {
            Backend::Remote(client) => Arc::new(client.clone()),
            Backend::Local(embedded) => embedded.console.clone(),
        }
    }

    /// Who is acting: whoever owns the data directory acts as admin on the embedded console.
    pub(crate) fn actor(&self) -> Actor {
        let user = std::env::var("USER").unwrap_or_else(|_| "local".to_owned());
        Actor::new(&format!("local:{user}"), Role::Admin)
    }

    pub(crate) async fn whoami(&self) -> anyhow::Result<WhoAmI> {
        match self {
            Backend::Remote(client) => Ok(client.whoami().await?),
            Backend::Local(_) => {
                let actor = self.actor();
                Ok(WhoAmI { name: actor.name, role: actor.role })
            }
        }
    }

    pub(crate) async fn users(&self) -> anyhow::Result<Vec<UserView>> {
        match self {
            Backend::Remote(client) => Ok(client.users().await?),
            Backend::Local(embedded) => Ok(embedded.accounts.users(&self.actor()).await?),
        }
    }

    pub(crate) async fn add_user(&self, name: &str, role: Role, password: &str) -> anyhow::Result<UserView> {
        match self {
            Backend::Remote(client) => Ok(client.add_user(name, role, password).await?),
            Backend::Local(embedded) => {
                Ok(embedded.accounts.add_user(&self.actor(), name, role, password).await?)
            }
        }
    }

    pub(crate) async fn remove_user(&self, name: &str) -> anyhow::Result<()> {
        match self {
            Backend::Remote(client) => Ok(client.remove_user(name).await?),
            Backend::Local(embedded) => Ok(embedded.accounts.remove_user(&self.actor(), name).await?),
        }
    }

    pub(crate) async fn set_password(&self, name: &str, password: &str) -> anyhow::Result<()> {
        match self {
            Backend::Remote(client) => Ok(client.set_password(name, password).await?),
            Backend::Local(embedded) => {
                Ok(embedded.accounts.set_password(&self.actor(), name, password).await?)
            }
        }
    }

    pub(crate) async fn tokens(&self) -> anyhow::Result<Vec<TokenView>> {
        match self {
            Backend::Remote(client) => Ok(client.tokens().await?),
            Backend::Local(embedded) => Ok(embedded.accounts.tokens(&self.actor()).await?),
        }
    }

    pub(crate) async fn create_token(
        &self,
        name: &str,
        role: Role,
        expires_in: Option<u64>,
    ) -> anyhow::Result<TokenView> {
        match self {
            Backend::Remote(client) => Ok(client.create_token(name, role, expires_in).await?),
            Backend::Local(embedded) => {
                let expires = expires_in.map(|s| now_ms() + s * 1000);
                Ok(embedded.accounts.create_token(&self.actor(), name, role, expires).await?)
            }
        }
    }

    pub(crate) async fn revoke_token(&self, id: &str) -> anyhow::Result<()> {
        match self {
            Backend::Remote(client) => Ok(client.revoke_token(id).await?),
            Backend::Local(embedded) => Ok(embedded.accounts.revoke_token(&self.actor(), id).await?),
        }
    }
}

/// Now, from core's system clock (the CLI's one source of time).
pub(crate) fn now_ms() -> u64 {
    voicefleet_core::clock::SystemClock.now_ms()
}

/// Seconds in a duration such as `90s`, `5m`, `1h`, `7d` (or plain seconds): core's one parser.
pub(crate) fn parse_duration_seconds(text: &str) -> anyhow::Result<u64> {
    Ok(voicefleet_core::clock::parse_duration(text)?.as_secs())
}

/// A secret read from standard input (not a terminal) or a hidden prompt; never from argv.
/// `text` without one trailing line ending (`\n` or `\r\n`), as `echo` and here-strings add.
fn strip_line_ending(text: &str) -> &str {
    text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text)
}

pub(crate) fn read_secret(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    use std::io::{IsTerminal as _, Read as _};
    if !std::io::stdin().is_terminal() {
        let mut value = String::new();
        std::io::stdin().read_to_string(&mut value).context("cannot read standard input")?;
        let value = strip_line_ending(&value).to_owned();
        anyhow::ensure!(!value.is_empty(), "nothing on standard input");
        return Ok(value);
    }
    let first = rpassword::prompt_password(prompt).context("cannot read the terminal")?;
    if confirm {
        let second = rpassword::prompt_password("again: ").context("cannot read the terminal")?;
        anyhow::ensure!(first == second, "the two entries differ");
    }
    anyhow::ensure!(!first.is_empty(), "empty value");
    Ok(first)
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_line_ending_is_stripped() {
        for (input, expected) in
            [("key\n", "key"), ("key\r\n", "key"), ("key", "key"), ("key\n\n", "key\n"), ("ke\ny\n", "ke\ny")]
        {
            assert_eq!(super::strip_line_ending(input), expected, "{input:?}");
        }
    }
}
