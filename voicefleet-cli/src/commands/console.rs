//! `console serve`, `console backup`, `console backups list`, `console restore`: argument
//! handling and printing; the rules are voicefleet-core's `backup` module.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use voicefleet_core::Error;
use voicefleet_core::backup::{
    self, BackupKey, BackupKeySource, BackupManifest, BackupOptions, RestoreOptions, ScheduleOptions,
};
use voicefleet_core::console::{SecretBox, SqliteStore, Store, StoreLocation, checkpoint};
use voicefleet_http::{
    ConsoleServer, PREVIOUS_KEYS_FILE, RotateOptions, ServeOptions, WebhookNotifier, rotate_signing_key,
};

use crate::backend::default_data_dir;
use crate::cli::{BackupArgs, BackupsCommand, ConsoleCommand, Global, RestoreArgs, RotateArgs, ServeArgs};
use crate::output::{OutputFormat, ago, bytes, print_json, table};

pub(crate) async fn run(global: &Global, command: ConsoleCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConsoleCommand::Serve(args) => serve(global, *args).await,
        ConsoleCommand::Backup(args) => backup_now(global, args).await,
        ConsoleCommand::Backups(BackupsCommand::List { from }) => list(global.output, &from).await,
        ConsoleCommand::Restore(args) => restore(global, args).await,
        ConsoleCommand::RotateSigningKey(args) => rotate(global, args).await,
        ConsoleCommand::Migrate(args) => super::migrate::run(global.output, args).await,
    }
}

fn actor() -> String {
    format!("local:{}", std::env::var("USER").unwrap_or_else(|_| "local".to_owned()))
}

/// The backup key at `path` (default `DATA/backup.key`), made when missing, with a word to the user.
fn backup_key(data: &Path, path: Option<PathBuf>) -> anyhow::Result<BackupKey> {
    let path = path.unwrap_or_else(|| data.join("backup.key"));
    let (key, source) = BackupKey::load_or_create(&path)?;
    if let BackupKeySource::Generated(path) = source {
        eprintln!(
            "generated the backup key at {} — copy it somewhere safe, away from the backups and this machine: without it no backup can be restored",
            path.display()
        );
    }
    Ok(key)
}

async fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let data = global.data.clone().unwrap_or_else(default_data_dir);
    let store = args.store.as_deref().map(StoreLocation::parse).transpose()?;
    let schedule = match (&args.backup_to, &args.backup_every) {
        (Some(to), Some(every_text)) => {
            let every = voicefleet_core::clock::parse_duration(every_text)?;
            if every < Duration::from_secs(1) {
                return Err(Error::InvalidValue {
                    value: every_text.clone(),
                    reason: "--backup-every must be at least 1s, for example 24h".to_owned(),
                }
                .into());
            }
            Some((backup::open_target(to)?, every, backup_key(&data, args.backup_key.clone())?))
        }
        _ => None,
    };
    let recovery_interval = voicefleet_core::clock::parse_duration(&args.recovery_interval)
        .ok()
        .filter(|every| (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(every))
        .ok_or_else(|| Error::InvalidValue {
            value: format!("--recovery-interval {}", args.recovery_interval),
            reason: "give 1 to 3600 seconds, for example 15 (or 15s, 1m)".to_owned(),
        })?;
    // Refused before anything is created; allowed with --insecure-plaintext, and said each time.
    let tls = args.tls_cert.is_some() && args.tls_key.is_some();
    if let Some(warning) =
        voicefleet_core::transport::plaintext_verdict(args.listen, tls, args.insecure_plaintext)?
    {
        eprintln!("warning: {warning} (--insecure-plaintext)");
    }
    let mut options = ServeOptions::new(data.clone());
    options.store = store.clone();
    options.exposure = voicefleet_http::Exposure {
        insecure_plaintext: args.insecure_plaintext,
        allow: args
            .allow_cidr
            .iter()
            .map(|text| voicefleet_core::transport::parse_cidr(text))
            .collect::<Result<_, _>>()?,
    };
    options.listen = args.listen;
    options.tls = args.tls_cert.zip(args.tls_key);
    let options_tls = options.tls.is_some();
    options.cors_origins = args.cors_origins;
    options.admin_password = args.admin_password;
    options.alert_webhook = args.alert_webhook.clone();
    options.refresh_interval = Duration::from_secs(5);
    options.recovery_interval = recovery_interval;
    options.audit_checkpoints = args.audit_checkpoints.clone();
    let server = ConsoleServer::start(options).await?;
    let embedded = server.embedded();
    crate::instance_provider::install(&embedded.console).await?;
    let scheme = if options_tls { "https" } else { "http" };
    eprintln!("voicefleet console on {scheme}://{} (data in {})", server.local_addr(), data.display());
    if let Some((name, password)) = &embedded.first_admin
        && !password.is_empty()
    {
        eprintln!(
            "first admin: {name} / {password}  (shown once; change it with `voicefleet users passwd {name}`)"
        );
    }
    match &embedded.key_source {
        voicefleet_core::console::KeySource::Generated(path) => {
            eprintln!(
                "generated the master key for secrets at {} — back it up; without it secrets cannot be read",
                path.display()
            )
        }
        voicefleet_core::console::KeySource::File(path) => eprintln!("master key: {}", path.display()),
        voicefleet_core::console::KeySource::Environment => {
            eprintln!("master key: from VOICEFLEET_MASTER_KEY")
        }
    }
    if let Some(store) = &store {
        eprintln!("store: {}", store.describe());
    }
    eprintln!("hosts must trust {}", data.join("console.pub.pem").display());
    eprintln!("audit checkpoints: {}", embedded.checkpoint_file.display());
    let scheduled = match schedule {
        Some((target, every, key)) => {
            let notifier = match &args.alert_webhook {
                Some(url) => Some(Arc::new(WebhookNotifier::new(url, 3, Duration::from_millis(500))?)
                    as Arc<dyn voicefleet_core::console::AlertNotifier>),
                None => None,
            };
            eprintln!("backups to {} every {}", target.describe(), humantime_like(every));
            let options = ScheduleOptions {
                backup: BackupOptions {
                    data_dir: data.clone(),
                    store: embedded.console.store().clone(),
                    from_store: matches!(store, Some(StoreLocation::Postgres(_))),
                    target,
                    key,
                    keep_days: args.backup_keep_days,
                    actor: "schedule".to_owned(),
                    checkpoints: embedded.checkpoint_file.parent().map(Path::to_path_buf),
                },
                every,
                notifier,
            };
            // Run by the replica that holds the lease only (always, alone on a store).
            let start: voicefleet_core::console::lease::Starter = Box::new(move || {
                backup::spawn_schedule(options.clone(), voicefleet_core::clock::system(), |result| {
                    match result {
                        Ok(report) => eprintln!(
                            "backup {} → {} ({}){}",
                            report.manifest.name,
                            report.target,
                            bytes(report.manifest.archive_bytes),
                            pruned_note(&report.pruned)
                        ),
                        Err(error) => eprintln!("error: backup failed: {error}"),
                    }
                })
            });
            Some(voicefleet_core::console::lease::spawn_gated(server.lease().clone(), vec![start]))
        }
        None => None,
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    if let Some(task) = scheduled {
        task.abort();
    }
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

fn humantime_like(every: Duration) -> String {
    let seconds = every.as_secs();
    match seconds {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn pruned_note(pruned: &[String]) -> String {
    if pruned.is_empty() {
        String::new()
    } else {
        format!("; removed {} older: {}", pruned.len(), pruned.join(", "))
    }
}

async fn backup_now(global: &Global, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let data = global.data.clone().unwrap_or_else(default_data_dir);
    let location = args.store.as_deref().map(StoreLocation::parse).transpose()?;
    let from_store = matches!(location, Some(StoreLocation::Postgres(_)));
    if !from_store && !data.join("console.db").is_file() {
        return Err(Error::InvalidValue {
            value: data.display().to_string(),
            reason: "no console data there: give the console's data directory with --data DIR (or VOICEFLEET_DATA)"
                .to_owned(),
        }
        .into());
    }
    let target = backup::open_target(&args.to)?;
    let key = backup_key(&data, args.key)?;
    // The console's own store (shared with a running console through SQLite's WAL, or the
    // PostgreSQL database), for the snapshot of a PostgreSQL store and the audit entry, chained
    // with the audit key of the console's master key.
    let secrets = SecretBox::load_existing(&data.join("master.key"))?;
    let store: Arc<dyn Store> = match (&location, &secrets) {
        (Some(location @ StoreLocation::Postgres(_)), Some(secrets)) => {
            location.open(secrets.audit_key().clone()).await?
        }
        (Some(StoreLocation::Postgres(_)), None) => {
            return Err(Error::InvalidValue {
                value: data.display().to_string(),
                reason: "a backup of a PostgreSQL store needs the console's master key, to check and \
                         extend its audit chain: VOICEFLEET_MASTER_KEY, or DATA/master.key"
                    .to_owned(),
            }
            .into());
        }
        _ => {
            let mut store = SqliteStore::open(&data.join("console.db"))?;
            if let Some(secrets) = &secrets {
                store = store.with_audit_key(secrets.audit_key().clone());
            }
            Arc::new(store)
        }
    };
    let checkpoints = args.audit_checkpoints.unwrap_or_else(|| checkpoint::default_dir(&data));
    let options = BackupOptions {
        data_dir: data,
        store,
        from_store,
        target,
        key,
        keep_days: args.keep_days,
        actor: actor(),
        checkpoints: Some(checkpoints),
    };
    let report = backup::backup(&options, &voicefleet_core::clock::system()).await?;
    if global.output == OutputFormat::Json {
        print_json(
            &serde_json::json!({"manifest": report.manifest, "target": report.target, "pruned": report.pruned}),
        )?;
    } else {
        eprintln!(
            "backup {} → {} ({}, {} audit entries, schema {}){}",
            report.manifest.name,
            report.target,
            bytes(report.manifest.archive_bytes),
            report.manifest.audit_entries,
            report.manifest.schema_version,
            pruned_note(&report.pruned)
        );
        eprintln!("the master key is not in the backup: keep its own backup (docs/operations.md)");
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(output: OutputFormat, from: &str) -> anyhow::Result<ExitCode> {
    let target = backup::open_target(from)?;
    let manifests: Vec<BackupManifest> = backup::list(target.as_ref()).await?;
    if output == OutputFormat::Json {
        print_json(&manifests)?;
        return Ok(ExitCode::SUCCESS);
    }
    if manifests.is_empty() {
        eprintln!("no backups in {}", target.describe());
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = manifests
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                ago(Some(m.created_at_ms)),
                bytes(m.archive_bytes),
                m.schema_version.to_string(),
                m.audit_entries.to_string(),
                m.voicefleet_version.clone(),
            ]
        })
        .collect();
    print!("{}", table(&["NAME", "TAKEN", "SIZE", "SCHEMA", "AUDIT ENTRIES", "VERSION"], &rows));
    Ok(ExitCode::SUCCESS)
}

async fn restore(global: &Global, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let Some(data) = global.data.clone() else {
        return Err(Error::InvalidValue {
            value: "console restore".to_owned(),
            reason: "give the new data directory with --data NEWDIR (new or empty), then run `voicefleet console serve --data NEWDIR`".to_owned(),
        }
        .into());
    };
    let (target, name) = backup::split_backup_ref(&args.from);
    let options = RestoreOptions {
        target: backup::open_target(&target)?,
        name,
        key: BackupKey::load(&args.key.ok_or_else(|| voicefleet_core::Error::InvalidValue {
            value: "--key".to_owned(),
            reason: "a restore needs the backup key the backup was made with: --key FILE (or VOICEFLEET_BACKUP_KEY)"
                .to_owned(),
        })?)?,
        data_dir: data.clone(),
        master_key: args.master_key,
        checkpoints: args.audit_checkpoints,
        actor: actor(),
        store: args.store.as_deref().map(StoreLocation::parse).transpose()?,
    };
    let report = backup::restore(&options, &voicefleet_core::clock::system()).await?;
    if global.output == OutputFormat::Json {
        print_json(&serde_json::json!({
            "manifest": report.manifest,
            "data_dir": report.data_dir,
            "audit_entries": report.audit_entries,
            "master_key_restored": report.master_key_restored,
            "checkpoint_file": report.checkpoint_file,
        }))?;
    } else {
        eprintln!(
            "restored {} (taken {}) into {}: audit chain verified, {} entries with the restore's own",
            report.manifest.name,
            ago(Some(report.manifest.created_at_ms)),
            data.display(),
            report.audit_entries
        );
        eprintln!(
            "audit checkpoints re-anchored at entry {} in {}",
            report.audit_entries,
            report.checkpoint_file.display()
        );
        if !report.master_key_restored {
            eprintln!(
                "the master key is not restored: put its backup at {}/master.key (or set VOICEFLEET_MASTER_KEY) before serving, or secrets cannot be read",
                data.display()
            );
        }
        let store = options.store.as_ref().map(|s| format!(" --store {}", s.describe())).unwrap_or_default();
        eprintln!(
            "next: voicefleet console serve --data {} --audit-checkpoints {}{store}",
            data.display(),
            report.checkpoint_file.parent().unwrap_or(&data).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn rotate(global: &Global, args: RotateArgs) -> anyhow::Result<ExitCode> {
    let data = global.data.clone().unwrap_or_else(default_data_dir);
    if !data.join("console.db").is_file() {
        return Err(Error::InvalidValue {
            value: data.display().to_string(),
            reason: "no console data there: give the console's data directory with --data DIR (or VOICEFLEET_DATA)"
                .to_owned(),
        }
        .into());
    }
    let grace = voicefleet_core::clock::parse_duration(&args.grace)?;
    // The console's own store, for the customers and the audit entry (chained with the audit key).
    let mut store = SqliteStore::open(&data.join("console.db"))?;
    if let Some(secrets) = SecretBox::load_existing(&data.join("master.key"))? {
        store = store.with_audit_key(secrets.audit_key().clone());
    }
    let options =
        RotateOptions { data_dir: data.clone(), grace, timeout: Duration::from_secs(5), actor: actor() };
    let report = rotate_signing_key(&options, Arc::new(store)).await?;
    if global.output == OutputFormat::Json {
        print_json(&serde_json::json!({
            "old_key": report.old_fingerprint,
            "new_key": report.new_fingerprint,
            "taken": report.taken,
            "not_taken": report.not_taken.iter().map(|(id, why)| serde_json::json!({"customer_id": id, "error": why})).collect::<Vec<_>>(),
        }))?;
    } else {
        eprintln!(
            "new signing key {} written to {} (old {} kept in {}); {} of {} hosts took it",
            report.new_fingerprint,
            data.join("console.key").display(),
            report.old_fingerprint,
            PREVIOUS_KEYS_FILE,
            report.taken.len(),
            report.taken.len() + report.not_taken.len()
        );
        for (id, why) in &report.not_taken {
            eprintln!("  not taken by {id}: {why}");
        }
        eprintln!(
            "hosts trust the old key {} more: restart the console before then to sign with the new one (systemctl restart voicefleet-console)",
            humantime_like(grace)
        );
        if !report.not_taken.is_empty() {
            eprintln!(
                "hint: copy {} to the hosts above (their --console-public-key) and restart their agents",
                data.join("console.pub.pem").display()
            );
        }
    }
    Ok(if report.not_taken.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(crate::exit::FAILURE) })
}
