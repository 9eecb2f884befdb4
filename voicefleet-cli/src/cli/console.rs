//! `voicefleet console`: the console server, its backups and restores.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum ConsoleCommand {
    /// Serve the console API
    #[command(after_long_help = "\
Examples:
  voicefleet console serve
  voicefleet console serve --data /var/lib/voicefleet --listen 10.0.0.5:9000 --tls-cert c.pem --tls-key k.pem
  VOICEFLEET_ADMIN_PASSWORD=... voicefleet console serve --cors-origin http://localhost:5173
  voicefleet console serve --backup-to s3://acme-backups/console --backup-every 24h --backup-keep-days 30
  VOICEFLEET_STORE_PASSWORD=... voicefleet console serve --store postgres://voicefleet@db.internal/voicefleet

On first start the admin user is created with a generated password, shown once (or with
VOICEFLEET_ADMIN_PASSWORD). Hosts must trust DATA/console.pub.pem (--console-public-key).
Every scheduled backup is audited; a failed one raises the `backup_failed` alert.
With --store postgres://…, the data is in PostgreSQL (its schema is made or upgraded at start);
the keys and audit checkpoints stay in DATA. Consoles on one database must be given the same
keys (DATA/console.key and the master key); a console given others is refused.")]
    Serve(Box<ServeArgs>),
    /// Take an encrypted backup of the console's data (while it runs)
    #[command(after_long_help = "\
Examples:
  voicefleet console backup --to /var/backups/voicefleet
  voicefleet console backup --to s3://acme-backups/console --keep-days 30 --key /etc/voicefleet/backup.key
  VOICEFLEET_STORE_PASSWORD=... voicefleet console backup --to /var/backups/voicefleet \\
      --store postgres://voicefleet@db.internal/voicefleet

The backup holds a consistent snapshot of the store (SQLite's, or every table of a PostgreSQL
store), the console's signing key pair and its audit checkpoints, compressed and encrypted under
the backup key (made at --key when missing: keep a copy away from the backups). The master key
that encrypts secrets and keys the audit chain is not in it: back it up separately.")]
    Backup(BackupArgs),
    /// List the backups in a directory or S3 prefix
    #[command(subcommand)]
    Backups(BackupsCommand),
    /// Restore a backup into a new data directory
    #[command(after_long_help = "\
Examples:
  voicefleet console restore /var/backups/voicefleet --data /var/lib/voicefleet-new --key backup.key
  voicefleet console restore s3://acme-backups/console/voicefleet-20261126T030000000Z \\
      --data /var/lib/voicefleet-new --key backup.key --master-key master.key
  VOICEFLEET_STORE_PASSWORD=... voicefleet console restore /var/backups/voicefleet \\
      --data /var/lib/voicefleet-new --key backup.key \\
      --store postgres://voicefleet@db.internal/restored

FROM is a target (its newest backup) or TARGET/NAME. Nothing is written until the backup's hash,
key, schema version and audit chain are checked; --data must be absent or empty. The restore is
recorded in the restored audit log and anchors the audit checkpoints at the restored head (give
the console's --audit-checkpoints DIR). With --store, the data goes into that new, empty
PostgreSQL database, its audit chain checked again there. Then: voicefleet console serve --data NEWDIR.")]
    Restore(RestoreArgs),
    /// Make a new signing key pair, have every host trust it, then sign with it
    #[command(after_long_help = "\
Examples:
  voicefleet --data /var/lib/voicefleet console rotate-signing-key
  voicefleet --data /var/lib/voicefleet console rotate-signing-key --grace 72h

Pushes the new public key to every customer's host (authenticated with the old key), lists the
hosts that did not take it, then writes the new pair to DATA/console.key and console.pub.pem
(the old public key is kept in console.previous.pub.pem for the audit checkpoints). Hosts keep
trusting the old key for --grace; restart the console within it to sign with the new one
(users log in again). Give hosts that did not take it the new console.pub.pem by hand.")]
    RotateSigningKey(RotateArgs),
    /// Move the console's data from its SQLite database into PostgreSQL
    #[command(after_long_help = "\
Examples:
  VOICEFLEET_STORE_PASSWORD=... voicefleet console migrate \\
      --from sqlite:/var/lib/voicefleet --to postgres://voicefleet@db.internal/voicefleet

Stop the console first. Every table is copied in one transaction into the database, which must
hold no console data yet; the audit chain is checked before the move (with the master key from
VOICEFLEET_MASTER_KEY or FROM/master.key) and after it, entry for entry, and the move is recorded
in it. The SQLite database is left as it was. Then: voicefleet console serve --data DIR --store URL.")]
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The console's data directory, as sqlite:DIR
    #[arg(long, value_name = "sqlite:DIR")]
    pub(crate) from: String,
    /// The PostgreSQL database: postgres://USER@HOST:PORT/DATABASE (the password in
    /// VOICEFLEET_STORE_PASSWORD, PGPASSWORD or the URL)
    #[arg(long, env = "VOICEFLEET_STORE", value_name = "URL", hide_env_values = true)]
    pub(crate) to: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// How long hosts keep trusting the old key (24h, 90m)
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub(crate) grace: String,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where the data is kept: sqlite:DIR, or postgres://USER@HOST:PORT/DATABASE with the password
    /// in VOICEFLEET_STORE_PASSWORD (or PGPASSWORD, or the URL) [default: the SQLite database in DATA]
    #[arg(long, env = "VOICEFLEET_STORE", value_name = "STORE", hide_env_values = true)]
    pub(crate) store: Option<String>,
    /// Address to serve on; anything but loopback needs TLS
    #[arg(long, env = "VOICEFLEET_CONSOLE_LISTEN", default_value = "127.0.0.1:9000")]
    pub(crate) listen: std::net::SocketAddr,
    /// TLS certificate chain (PEM)
    #[arg(long, env = "VOICEFLEET_CONSOLE_TLS_CERT", requires = "tls_key", value_name = "FILE")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// TLS private key (PEM)
    #[arg(long, env = "VOICEFLEET_CONSOLE_TLS_KEY", requires = "tls_cert", value_name = "FILE")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (a proxy in front terminates TLS); refused
    /// without it, and warned about at every start
    #[arg(long, env = "VOICEFLEET_CONSOLE_INSECURE_PLAINTEXT")]
    pub(crate) insecure_plaintext: bool,
    /// Accept clients only from this network (repeat it, or separate with commas), as
    /// 10.0.0.0/16 [default: any]
    #[arg(
        long = "allow-cidr",
        env = "VOICEFLEET_CONSOLE_ALLOW_CIDR",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub(crate) allow_cidr: Vec<String>,
    /// Allowed CORS origin, repeatable
    #[arg(long = "cors-origin")]
    pub(crate) cors_origins: Vec<String>,
    /// The first admin's password, on the first start of a data directory [default: generated]
    #[arg(long, env = "VOICEFLEET_ADMIN_PASSWORD", hide_env_values = true)]
    pub(crate) admin_password: Option<String>,
    /// Post alerts (firing and resolved) to this URL, with retries
    #[arg(long, env = "VOICEFLEET_ALERT_WEBHOOK", value_name = "URL")]
    pub(crate) alert_webhook: Option<String>,
    /// Take a backup on this schedule: a directory or s3://bucket/prefix
    #[arg(long, env = "VOICEFLEET_BACKUP_TO", value_name = "TARGET", requires = "backup_every")]
    pub(crate) backup_to: Option<String>,
    /// How often to back up (24h, 6h, 90m)
    #[arg(long, env = "VOICEFLEET_BACKUP_EVERY", value_name = "DURATION", requires = "backup_to")]
    pub(crate) backup_every: Option<String>,
    /// Remove scheduled backups older than this many days (the newest is always kept)
    #[arg(long, env = "VOICEFLEET_BACKUP_KEEP_DAYS", value_name = "DAYS")]
    pub(crate) backup_keep_days: Option<u32>,
    /// The backup key file [default: DATA/backup.key]
    #[arg(long, env = "VOICEFLEET_BACKUP_KEY", value_name = "FILE")]
    pub(crate) backup_key: Option<PathBuf>,
    /// How often automatic recovery looks at the hosts that do not answer, in seconds (1 to
    /// 3600, or 30s, 1m); it acts only where `instances recovery set` turned it on
    #[arg(long, env = "VOICEFLEET_RECOVERY_INTERVAL", value_name = "SECONDS", default_value = "15")]
    pub(crate) recovery_interval: String,
    /// Where signed checkpoints of the audit log's head go: a directory outside the data
    /// directory's disk, ideally [default: DATA/audit-checkpoints]
    #[arg(long, env = "VOICEFLEET_AUDIT_CHECKPOINTS", value_name = "DIR")]
    pub(crate) audit_checkpoints: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct BackupArgs {
    /// Where: a directory or s3://bucket/prefix
    #[arg(long, value_name = "TARGET")]
    pub(crate) to: String,
    /// The console's store when it is not DATA's SQLite database: postgres://USER@HOST:PORT/DATABASE
    /// (the password in VOICEFLEET_STORE_PASSWORD, PGPASSWORD or the URL)
    #[arg(long, env = "VOICEFLEET_STORE", value_name = "STORE", hide_env_values = true)]
    pub(crate) store: Option<String>,
    /// Then remove backups there older than this many days (the newest is always kept)
    #[arg(long, value_name = "DAYS")]
    pub(crate) keep_days: Option<u32>,
    /// The backup key file, made when missing [default: DATA/backup.key]
    #[arg(long, env = "VOICEFLEET_BACKUP_KEY", value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// The console's audit checkpoint directory, whose checkpoints go into the backup
    /// [default: DATA/audit-checkpoints]
    #[arg(long, env = "VOICEFLEET_AUDIT_CHECKPOINTS", value_name = "DIR")]
    pub(crate) audit_checkpoints: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BackupsCommand {
    /// The backups there, oldest first
    #[command(after_long_help = "\
Examples:
  voicefleet console backups list --from /var/backups/voicefleet
  voicefleet console backups list --from s3://acme-backups/console -o json")]
    List {
        /// A directory or s3://bucket/prefix
        #[arg(long, value_name = "TARGET")]
        from: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// TARGET (its newest backup) or TARGET/NAME
    pub(crate) from: String,
    /// The backup key file the backup was made with (required)
    #[arg(long, env = "VOICEFLEET_BACKUP_KEY", value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// The master key's own backup: checked against the backup, then restored with it (it
    /// also verifies the audit chain)
    #[arg(long, value_name = "FILE")]
    pub(crate) master_key: Option<PathBuf>,
    /// The restored console's audit checkpoint directory, where the restore's anchor goes
    /// [default: NEWDIR/audit-checkpoints]
    #[arg(long, env = "VOICEFLEET_AUDIT_CHECKPOINTS", value_name = "DIR")]
    pub(crate) audit_checkpoints: Option<PathBuf>,
    /// Restore the data into this new, empty PostgreSQL database (NEWDIR gets the keys and
    /// checkpoints): postgres://USER@HOST:PORT/DATABASE, the password in VOICEFLEET_STORE_PASSWORD
    #[arg(long, value_name = "STORE")]
    pub(crate) store: Option<String>,
}
