//! `login`, `logout`, `whoami`, `users ...`, `tokens ...`.

use std::process::ExitCode;

use std::io::IsTerminal as _;

use anyhow::Context as _;
use voicefleet_core::auth::Role;
use voicefleet_core::console::MfaState;
use voicefleet_http::ConsoleClient;

use crate::backend::{
    Backend, Credentials, Target, credentials_path, current_target, parse_duration_seconds, read_secret,
};
use crate::cli::{Global, LoginArgs, TokensCommand, UsersCommand};
use crate::output::{OutputFormat, ago, print_json, table};

pub(crate) async fn login(global: &Global, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let console = global.console.clone().context(
        "no console to log in to: give --console URL (or VOICEFLEET_CONSOLE); the embedded console needs no login",
    )?;
    if std::env::var_os("VOICEFLEET_TOKEN").is_some_and(|token| !token.is_empty()) {
        eprintln!(
            "warning: VOICEFLEET_TOKEN is set in this shell and overrides the saved login; unset it to use this login"
        );
    }
    let password = read_secret(&format!("password for {} at {console}: ", args.user), false)?;
    let client = ConsoleClient::new(&console, None)?;
    let login = match client.login_with_otp(&args.user, &password, args.otp.as_deref()).await {
        // The console wants a second-factor code and none was given: ask for it on a terminal.
        Err(voicefleet_core::Error::SecondFactor {
            refusal: voicefleet_core::OtpRefusal::Required, ..
        }) if args.otp.is_none() && std::io::stdin().is_terminal() => {
            let otp = rpassword::prompt_password(format!(
                "second-factor code for {} (or a recovery code): ",
                args.user
            ))
            .context("cannot read the terminal")?;
            client.login_with_otp(&args.user, &password, Some(otp.trim())).await?
        }
        other => other?,
    };
    let path = credentials_path().context("no HOME to keep the token in")?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let saved = serde_json::to_vec_pretty(&Credentials { console: console.clone(), token: login.token })?;
    voicefleet_core::fs::write_atomic(&path, &saved, 0o600)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("logged in to {console} as {} ({}); token saved in {}", login.name, login.role, path.display());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn logout() -> anyhow::Result<ExitCode> {
    match credentials_path() {
        Some(path) if path.exists() => {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            eprintln!("logged out (removed {})", path.display());
        }
        _ => eprintln!("not logged in"),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn whoami(backend: &Backend, output: OutputFormat) -> anyhow::Result<ExitCode> {
    let me = backend.whoami().await?;
    if output == OutputFormat::Json {
        print_json(&me)?;
    } else {
        println!("{} ({})", me.name, me.role);
        if let Some(target) = current_target() {
            eprintln!("using {}", target.describe());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `voicefleet context`: the console, the user and where each came from. It never creates a
/// console, and still answers when the console does not (the error is shown in place of the user).
pub(crate) async fn context(global: &Global, output: OutputFormat) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(global);
    let who = if target.console.is_none() && !target.embedded_exists() {
        Err("no console yet (nothing was created)".to_owned())
    } else {
        match Backend::open(global).await {
            Ok(backend) => backend.whoami().await.map_err(|e| format!("{e:#}")),
            Err(error) => Err(format!("{error:#}")),
        }
    };
    if output == OutputFormat::Json {
        let (user, role, error) = match &who {
            Ok(me) => (Some(me.name.clone()), Some(me.role.to_string()), None),
            Err(error) => (None, None, Some(error.clone())),
        };
        print_json(&serde_json::json!({
            "console": target.console,
            "console_origin": target.console_origin,
            "embedded_data": target.console.is_none().then(|| target.data.display().to_string()),
            "token_origin": target.token_origin,
            "token_overrides_login": target.token_overrides_login,
            "user": user,
            "role": role,
            "error": error,
        }))?;
    } else {
        let console = match &target.console {
            Some(url) => url.clone(),
            None => format!("embedded, in {}", target.data.display()),
        };
        let (flag, variable) = if target.console.is_some() {
            ("--console", "VOICEFLEET_CONSOLE")
        } else {
            ("--data", "VOICEFLEET_DATA")
        };
        println!("console  {console}  (from {})", target.console_origin.describe(flag, variable));
        let token = match (target.token_origin, &target.console) {
            (Some(origin), _) => format!("from {}", origin.describe("--token", "VOICEFLEET_TOKEN")),
            (None, Some(_)) => "none (log in with `voicefleet login`)".to_owned(),
            (None, None) => "not needed: the embedded console runs as its data directory's owner".to_owned(),
        };
        println!("token    {token}");
        match &who {
            Ok(me) => println!("user     {} ({})", me.name, me.role),
            Err(error) => println!("user     unknown: {error}"),
        }
        if target.token_overrides_login {
            println!("warning  VOICEFLEET_TOKEN overrides the login saved for this console");
        }
    }
    Ok(if who.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(crate::exit::FAILURE) })
}

fn role(text: &str) -> Role {
    Role::parse(text).unwrap_or(Role::Viewer)
}

pub(crate) async fn users(
    backend: &Backend,
    output: OutputFormat,
    command: UsersCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        UsersCommand::Add { name, role: role_text } => {
            let password = read_secret(&format!("password for {name}: "), true)?;
            let user = backend.add_user(&name, role(&role_text), &password).await?;
            if output == OutputFormat::Json {
                print_json(&user)?;
            } else {
                eprintln!("added user {} ({})", user.name, user.role);
            }
        }
        UsersCommand::List => {
            let users = backend.users().await?;
            if output == OutputFormat::Json {
                print_json(&users)?;
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.name.clone(),
                            u.role.to_string(),
                            ago(Some(u.created_at_ms)),
                            match (u.mfa, u.mfa_required) {
                                (MfaState::Off, true) => "off (required: login refused)".to_owned(),
                                (MfaState::Pending, true) => {
                                    "pending (required: next login needs a code)".to_owned()
                                }
                                (state, _) => state.to_string(),
                            },
                            if u.locked { "locked".into() } else { String::new() },
                        ]
                    })
                    .collect();
                print!("{}", table(&["USER", "ROLE", "CREATED", "MFA", "LOCKED"], &rows));
            }
        }
        UsersCommand::Rm { name, yes } => {
            crate::confirm::confirm(
                &format!("remove user {name}"),
                "they can no longer log in, and every API token they created is revoked with them",
                yes,
            )?;
            backend.remove_user(&name).await?;
            eprintln!("removed user {name}");
        }
        UsersCommand::Passwd { name } => {
            // Your own password needs the current one; an admin sets another user's without it.
            let own = backend.whoami().await.is_ok_and(|me| me.name == name);
            let (current, password) = if own {
                let (current, password) = crate::backend::read_current_and_new(&name)?;
                (Some(current), password)
            } else {
                (None, read_secret(&format!("new password for {name}: "), true)?)
            };
            backend.set_password(&name, &password, current.as_deref()).await?;
            eprintln!("password changed for {name}; their earlier logins have ended");
        }
        UsersCommand::Mfa(command) => return super::mfa::mfa(backend, output, command).await,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn tokens(
    backend: &Backend,
    output: OutputFormat,
    command: TokensCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        TokensCommand::Create { name, role: role_text, expires } => {
            let expires_in = expires.as_deref().map(parse_duration_seconds).transpose()?;
            let token = backend.create_token(&name, role(&role_text), expires_in).await?;
            if output == OutputFormat::Json {
                print_json(&token)?;
            } else {
                println!("{}", token.token.clone().unwrap_or_default());
                eprintln!(
                    "token `{}` ({}, id {}) created; it is shown only now",
                    token.name, token.role, token.id
                );
            }
        }
        TokensCommand::List => {
            let tokens = backend.tokens().await?;
            if output == OutputFormat::Json {
                print_json(&tokens)?;
            } else {
                let rows: Vec<Vec<String>> = tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.name.clone(),
                            t.role.to_string(),
                            t.created_by.clone(),
                            t.expires_at_ms
                                .map(|at| {
                                    crate::output::duration(
                                        (at.saturating_sub(crate::backend::now_ms())) as f64 / 1000.0,
                                    )
                                })
                                .unwrap_or("never".into()),
                            if t.revoked { "revoked".into() } else { String::new() },
                        ]
                    })
                    .collect();
                print!("{}", table(&["ID", "NAME", "ROLE", "BY", "EXPIRES IN", "REVOKED"], &rows));
            }
        }
        TokensCommand::Revoke { id, yes } => {
            crate::confirm::confirm(
                &format!("revoke token {id}"),
                "every script or service using it is refused from now on",
                yes,
            )?;
            backend.revoke_token(&id).await?;
            eprintln!("revoked token {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
