//! `Console::open_sqlite`: a console over a real SQLite data directory, its options explicit.

use std::sync::Arc;

use voicefleet_core::console::{Console, CustomerRecord, HostConnector, KeySource};
use voicefleet_core::host::Host;
use voicefleet_core::{Error, ErrorKind, Result};
use voicefleet_tests::TempDir;

/// A console that reaches no host (this test is about its store, keys and users).
struct NoHosts;

impl HostConnector for NoHosts {
    fn connect(&self, customer: &CustomerRecord) -> Result<Arc<dyn Host>> {
        Err(Error::Unavailable { message: format!("{} has no host in this test", customer.id) })
    }
}

#[tokio::test]
async fn a_sqlite_console_creates_no_user_unless_asked_and_keeps_its_keys() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("console");

    let opened = Console::open_sqlite(&data, Arc::new(NoHosts)).await.unwrap();
    assert!(opened.first_admin.is_none(), "no user is created unless asked");
    assert!(matches!(opened.key_source, KeySource::Generated(_)), "{:?}", opened.key_source);
    for file in ["console.db", "master.key", "console.key", "console.pub.pem"] {
        assert!(data.join(file).is_file(), "{file} is in the data directory");
    }
    let refused = opened.accounts.login("admin", "anything-at-all", None, "local", "r1").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unauthorized);
    drop(opened);

    let opened = Console::open_sqlite(&data, Arc::new(NoHosts)).first_admin("ops", None).await.unwrap();
    let (name, password) = opened.first_admin.clone().expect("the first admin is created when asked");
    assert_eq!(name, "ops");
    assert!(password.len() >= 16, "a generated password is returned once");
    assert!(matches!(opened.key_source, KeySource::File(_)), "{:?}", opened.key_source);
    let user = opened.accounts.login("ops", &password, None, "local", "r2").await.unwrap();
    assert_eq!(user.name, "ops");
    drop(opened);

    // Once a user exists, asking again creates nobody.
    let opened = Console::open_sqlite(&data, Arc::new(NoHosts)).first_admin("admin", None).await.unwrap();
    assert!(opened.first_admin.is_none());
}

#[tokio::test]
async fn an_empty_first_admin_name_is_refused_before_anything_is_created() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("console");
    let error = Console::open_sqlite(&data, Arc::new(NoHosts)).first_admin(" ", None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(!data.exists(), "a refused open creates nothing");
}
