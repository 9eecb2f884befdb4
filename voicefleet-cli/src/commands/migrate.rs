//! `console migrate`: a console's data from its SQLite database into PostgreSQL, with its audit
//! chain checked at both ends (the move itself is core's `PostgresStore::move_from_sqlite`).

use std::process::ExitCode;

use voicefleet_core::Error;
use voicefleet_core::console::{PostgresStore, SecretBox, StoreLocation};

use crate::cli::MigrateArgs;
use crate::output::{OutputFormat, print_json, table};

pub(crate) async fn run(output: OutputFormat, args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let Some(to) = &args.to else {
        return Err(Error::InvalidValue {
            value: "--to".to_owned(),
            reason: "give the PostgreSQL database to move into: --to postgres://USER@HOST:PORT/DATABASE (or VOICEFLEET_STORE)".to_owned(),
        }
        .into());
    };
    let (StoreLocation::Sqlite(dir), StoreLocation::Postgres(url)) =
        (StoreLocation::parse(&args.from)?, StoreLocation::parse(to)?)
    else {
        return Err(Error::InvalidValue {
            value: format!("--from {} --to …", StoreLocation::parse(&args.from)?.describe()),
            reason: "a move goes from sqlite:DIR (the console's data directory) to postgres://…".to_owned(),
        }
        .into());
    };
    // The audit key of the console's master key (never created here).
    let key = SecretBox::load_existing(&dir.join("master.key"))?.map(|secrets| secrets.audit_key().clone());
    let mut store = PostgresStore::connect(&url).await?;
    if let Some(key) = &key {
        store = store.with_audit_key(key.clone());
    }
    let actor = format!("local:{}", std::env::var("USER").unwrap_or_else(|_| "local".to_owned()));
    let report = store.move_from_sqlite(&dir, key.as_ref(), &actor).await?;
    match output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "from": args.from,
            "to": store.describe(),
            "tables": report.tables.iter().map(|(name, rows)| serde_json::json!({"table": name, "rows": rows})).collect::<Vec<_>>(),
            "audit_entries": report.audit_entries,
            "recorded_seq": report.recorded.seq,
        }))?,
        _ => {
            let rows: Vec<Vec<String>> = report
                .tables
                .iter()
                .filter(|(_, rows)| *rows > 0)
                .map(|(name, rows)| vec![name.clone(), rows.to_string()])
                .collect();
            print!("{}", table(&["TABLE", "ROWS"], &rows));
            println!(
                "moved {} into {}: the audit chain's {} entries verified after the move; the move is entry {}",
                dir.display(),
                store.describe(),
                report.audit_entries,
                report.recorded.seq
            );
            println!(
                "next: voicefleet --data {} console serve --store {} (the SQLite database was left as it was)",
                dir.display(),
                store.describe()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
