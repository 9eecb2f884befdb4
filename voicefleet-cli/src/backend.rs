//! Where the fleet is: a console server (`--console`), or the embedded console in a data
//! directory. Either way the commands see the same fleet trait.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock as _;
use voicefleet_core::console::{Actor, Fleet, MfaEnrollment, MfaPolicy, TokenView, UserView};
use voicefleet_http::{ConsoleClient, Embedded, WhoAmI, open_embedded};

use voicefleet_core::ErrorKind;

use crate::cli::Global;
use crate::exit::Refusal;

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

/// Where a setting came from: told by `voicefleet context`, and by errors about the console or
/// the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Origin {
    /// `--console`, `--token`, `--data`.
    Flag,
    /// `VOICEFLEET_CONSOLE`, `VOICEFLEET_TOKEN`, `VOICEFLEET_DATA`.
    Environment,
    /// `voicefleet login`'s saved credentials.
    SavedLogin,
    /// The default data directory.
    Default,
}

impl Origin {
    pub(crate) fn describe(self, flag: &str, variable: &str) -> String {
        match self {
            Origin::Flag => format!("the {flag} flag"),
            Origin::Environment => format!("the environment ({variable})"),
            Origin::SavedLogin => match credentials_path() {
                Some(path) => format!("the saved login ({})", path.display()),
                None => "the saved login".to_owned(),
            },
            Origin::Default => "the default".to_owned(),
        }
    }
}

/// Which console a command uses and with which token, and where each came from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Target {
    /// The console's URL; `None`: the embedded console in `data`.
    pub(crate) console: Option<String>,
    pub(crate) console_origin: Origin,
    pub(crate) data: PathBuf,
    #[serde(skip)]
    pub(crate) token: Option<String>,
    pub(crate) token_origin: Option<Origin>,
    /// `VOICEFLEET_TOKEN` is used although a login is saved for this console.
    pub(crate) token_overrides_login: bool,
}

/// Whether `--NAME` was given on the command line (else its value came from the environment).
fn given_as_flag(name: &str) -> bool {
    let flag = format!("--{name}");
    std::env::args().skip(1).any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")))
}

impl Target {
    pub(crate) fn resolve(global: &Global) -> Target {
        let saved = saved_credentials();
        let origin = |name: &str| if given_as_flag(name) { Origin::Flag } else { Origin::Environment };
        let (console, console_origin) = match (&global.console, &saved) {
            (Some(url), _) => (Some(url.clone()), origin("console")),
            (None, Some(saved)) => (Some(saved.console.clone()), Origin::SavedLogin),
            (None, None) => (None, if global.data.is_some() { origin("data") } else { Origin::Default }),
        };
        let saved_here = saved.filter(|saved| {
            console
                .as_deref()
                .is_some_and(|url| saved.console.trim_end_matches('/') == url.trim_end_matches('/'))
        });
        let (token, token_origin) = match (&global.token, &saved_here) {
            (Some(token), _) => (Some(token.clone()), Some(origin("token"))),
            (None, Some(saved)) => (Some(saved.token.clone()), Some(Origin::SavedLogin)),
            (None, None) => (None, None),
        };
        let token_overrides_login = token_origin == Some(Origin::Environment)
            && saved_here.is_some_and(|saved| Some(&saved.token) != token.as_ref());
        Target {
            console,
            console_origin,
            data: global.data.clone().unwrap_or_else(default_data_dir),
            token,
            token_origin,
            token_overrides_login,
        }
    }

    /// The embedded console's database: it exists once a console was created in `data`.
    pub(crate) fn embedded_exists(&self) -> bool {
        self.data.join("console.db").exists()
    }

    /// One line on where the console and the token came from, for errors about either.
    pub(crate) fn describe(&self) -> String {
        match &self.console {
            Some(url) => {
                let token = match self.token_origin {
                    Some(origin) => {
                        format!("the token from {}", origin.describe("--token", "VOICEFLEET_TOKEN"))
                    }
                    None => "no token".to_owned(),
                };
                format!(
                    "console {url} from {}, {token}",
                    self.console_origin.describe("--console", "VOICEFLEET_CONSOLE")
                )
            }
            None => format!(
                "the embedded console in {} (from {})",
                self.data.display(),
                self.console_origin.describe("--data", "VOICEFLEET_DATA")
            ),
        }
    }
}

/// The target of this run, once resolved: errors about the console name it.
static TARGET: std::sync::OnceLock<Target> = std::sync::OnceLock::new();

pub(crate) fn current_target() -> Option<&'static Target> {
    TARGET.get()
}

/// Whether a command may create the embedded console when there is none: only the commands
/// that start a fleet. Reading commands say there is no console instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Creation {
    Allowed,
    Refused,
}

pub(crate) enum Backend {
    Remote(ConsoleClient),
    Local(Embedded),
}

impl Backend {
    pub(crate) async fn open(global: &Global) -> anyhow::Result<Backend> {
        Backend::open_with(global, Creation::Refused).await
    }

    pub(crate) async fn open_with(global: &Global, creation: Creation) -> anyhow::Result<Backend> {
        let target = TARGET.get_or_init(|| Target::resolve(global));
        if target.token_overrides_login {
            eprintln!(
                "warning: VOICEFLEET_TOKEN overrides the login saved for {}; unset it to use the login",
                target.console.as_deref().unwrap_or_default()
            );
        }
        match &target.console {
            Some(url) => Ok(Backend::Remote(ConsoleClient::new(url, target.token.clone())?)),
            None => {
                let dir = target.data.clone();
                if creation == Creation::Refused && !target.embedded_exists() {
                    return Err(Refusal::new(
                        ErrorKind::NotFound,
                        format!(
                            "no console: no --console or VOICEFLEET_CONSOLE, no saved login, and no embedded console in {}",
                            dir.display()
                        ),
                        "log in with `voicefleet login --console URL`, or set VOICEFLEET_CONSOLE and \
                         VOICEFLEET_TOKEN (`voicefleet demo` writes them to DIR/demo.env), or give --data DIR of an \
                         existing embedded console; `voicefleet customers add` creates one",
                    )
                    .into());
                }
                let embedded = open_embedded(dir.clone(), None, Duration::from_secs(3))
                    .await
                    .with_context(|| format!("cannot open the embedded console in {}", dir.display()))?;
                if let Some((name, password)) = &embedded.first_admin {
                    eprintln!("created an embedded console in {}", dir.display());
                    eprintln!("created the console's first admin `{name}` with password {password}");
                    eprintln!("(shown once; the embedded console in {} needs no login)", dir.display());
                }
                crate::instance_provider::install(&embedded.console).await?;
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

    pub(crate) async fn set_password(
        &self,
        name: &str,
        password: &str,
        current: Option<&str>,
    ) -> anyhow::Result<()> {
        match self {
            Backend::Remote(client) => Ok(client.set_password(name, password, current).await?),
            Backend::Local(embedded) => {
                Ok(embedded.accounts.set_password(&self.actor(), name, password, current).await?)
            }
        }
    }

    /// `None` when `name` is the logged-in user (their own routes), else `Some(name)` (an
    /// admin's routes).
    async fn mfa_subject<'a>(client: &ConsoleClient, name: &'a str) -> anyhow::Result<Option<&'a str>> {
        Ok(if client.whoami().await?.name == name { None } else { Some(name) })
    }

    pub(crate) async fn enable_mfa(&self, name: &str) -> anyhow::Result<MfaEnrollment> {
        match self {
            Backend::Remote(client) => Ok(client.enable_mfa(Self::mfa_subject(client, name).await?).await?),
            Backend::Local(embedded) => Ok(embedded.accounts.enable_mfa(&self.actor(), name).await?),
        }
    }

    pub(crate) async fn confirm_mfa(&self, name: &str, otp: &str) -> anyhow::Result<()> {
        match self {
            Backend::Remote(client) => {
                Ok(client.confirm_mfa(Self::mfa_subject(client, name).await?, otp).await?)
            }
            Backend::Local(embedded) => Ok(embedded.accounts.confirm_mfa(&self.actor(), name, otp).await?),
        }
    }

    pub(crate) async fn disable_mfa(&self, name: &str, otp: Option<&str>) -> anyhow::Result<()> {
        match self {
            Backend::Remote(client) => {
                Ok(client.disable_mfa(Self::mfa_subject(client, name).await?, otp).await?)
            }
            Backend::Local(embedded) => Ok(embedded.accounts.disable_mfa(&self.actor(), name, otp).await?),
        }
    }

    pub(crate) async fn mfa_policy(&self) -> anyhow::Result<MfaPolicy> {
        match self {
            Backend::Remote(client) => Ok(client.mfa_policy().await?),
            Backend::Local(embedded) => Ok(embedded.accounts.mfa_policy(&self.actor()).await?),
        }
    }

    pub(crate) async fn require_mfa(&self, role: Role) -> anyhow::Result<MfaPolicy> {
        match self {
            Backend::Remote(client) => Ok(client.set_mfa_required(role, true).await?),
            Backend::Local(embedded) => Ok(embedded.accounts.require_mfa(&self.actor(), role).await?),
        }
    }

    pub(crate) async fn unrequire_mfa(&self, role: Role) -> anyhow::Result<MfaPolicy> {
        match self {
            Backend::Remote(client) => Ok(client.set_mfa_required(role, false).await?),
            Backend::Local(embedded) => Ok(embedded.accounts.unrequire_mfa(&self.actor(), role).await?),
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

/// Your current password and a new one: asked on a terminal (the new one twice), else the first
/// two lines of standard input.
pub(crate) fn read_current_and_new(name: &str) -> anyhow::Result<(String, String)> {
    use std::io::{IsTerminal as _, Read as _};
    if !std::io::stdin().is_terminal() {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input).context("cannot read standard input")?;
        let (current, new) = input.split_once('\n').unwrap_or((input.as_str(), ""));
        let (current, new) = (current.strip_suffix('\r').unwrap_or(current), strip_line_ending(new));
        if current.is_empty() || new.is_empty() {
            return Err(crate::exit::Refusal::new(
                voicefleet_core::ErrorKind::InvalidInput,
                "changing your own password needs the current one",
                "give it on the first line of standard input and the new one on the second",
            )
            .into());
        }
        return Ok((current.to_owned(), new.to_owned()));
    }
    let current = rpassword::prompt_password(format!("current password for {name}: "))
        .context("cannot read the terminal")?;
    let new = read_secret(&format!("new password for {name}: "), true)?;
    Ok((current, new))
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
