//! The store contract (tests/src/store_contract.rs) against each store: SQLite, and PostgreSQL
//! on a real server this test starts (feature `postgres`).

use std::sync::Arc;

use voicefleet_core::console::{SqliteStore, Store};
use voicefleet_tests::store_contract::{self, Factory, audit_key};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_contract_sqlite() {
    let dir = voicefleet_tests::TempDir::new().unwrap();
    let path = dir.path().to_owned();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let factory: Box<Factory> = Box::new(move || {
        let file =
            path.join(format!("console-{}.db", counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
        Box::pin(async move {
            Arc::new(SqliteStore::open(&file).unwrap().with_audit_key(audit_key())) as Arc<dyn Store>
        })
    });
    store_contract::run_all(&factory).await;
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use voicefleet_core::Error;
    use voicefleet_core::console::{PostgresStore, Store};
    use voicefleet_tests::postgres::{PASSWORD, PostgresServer, USER};
    use voicefleet_tests::store_contract::{self, Factory, audit_key, customer, record, verified_chain};

    /// One server for every PostgreSQL case (a database each): the contract, migrations under
    /// two consoles starting at once, and what a bad `--store` URL is told.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn store_contract_postgres() {
        let started = std::time::Instant::now();
        let server = Arc::new(PostgresServer::start());
        eprintln!("postgres up in {} ms", started.elapsed().as_millis());

        let counter = Arc::new(AtomicUsize::new(0));
        let factory: Box<Factory> = {
            let server = server.clone();
            Box::new(move || {
                let url =
                    server.create_database(&format!("contract{}", counter.fetch_add(1, Ordering::SeqCst)));
                Box::pin(async move {
                    Arc::new(PostgresStore::connect(&url).await.unwrap().with_audit_key(audit_key()))
                        as Arc<dyn Store>
                })
            })
        };
        store_contract::run_all(&factory).await;

        two_consoles_migrate_one_database_once(&server).await;
        events_reach_every_console_and_survive_a_lost_connection(&server).await;
        bad_urls_say_what_to_do(&server).await;
        a_newer_database_is_refused(&server).await;
        an_untrusted_tls_certificate_is_refused(&server).await;
        drop(factory);
        let server = Arc::into_inner(server).expect("the last reference");
        let dir = server.dir().to_owned();
        drop(server);
        assert!(!dir.exists(), "the server's directory is removed");
        eprintln!("postgres cases in {} ms", started.elapsed().as_millis());
    }

    async fn two_consoles_migrate_one_database_once(server: &PostgresServer) {
        let url = server.create_database("together");
        let opens = (0..4).map(|_| {
            let url = url.clone();
            tokio::spawn(
                async move { PostgresStore::connect(&url).await.map(|s| s.with_audit_key(audit_key())) },
            )
        });
        let stores: Vec<PostgresStore> = futures_util::future::join_all(opens)
            .await
            .into_iter()
            .map(|opened| opened.unwrap().unwrap())
            .collect();
        // Both write through their own pools; one chain.
        let writes = stores.iter().enumerate().map(|(i, store)| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..10 {
                    let id = format!("c{i}-{n}");
                    store.insert_customer(customer(&id), record("customer.add", &id)).await.unwrap();
                }
            })
        });
        for write in futures_util::future::join_all(writes).await {
            write.unwrap();
        }
        assert_eq!(verified_chain(&stores[0]).await, 40);
        assert_eq!(stores[1].customers().await.unwrap().len(), 40);
    }

    /// The live event channel: what one console sends, every console receives (itself too); a
    /// listening connection the server ends is made again, and the console is told of the gap.
    async fn events_reach_every_console_and_survive_a_lost_connection(server: &PostgresServer) {
        use std::time::Duration;
        use voicefleet_core::console::feed::ChannelMessage;
        let url = server.create_database("events");
        let (one, two) =
            (PostgresStore::connect(&url).await.unwrap(), PostgresStore::connect(&url).await.unwrap());
        let mut one = one.event_channel().await.unwrap().expect("PostgreSQL has a channel");
        let mut two = two.event_channel().await.unwrap().expect("PostgreSQL has a channel");
        let next = async |channel: &mut voicefleet_core::console::feed::EventChannel| {
            tokio::time::timeout(Duration::from_secs(10), channel.incoming.recv())
                .await
                .expect("in time")
                .unwrap()
        };
        one.outgoing.send("first".to_owned()).unwrap();
        assert_eq!(next(&mut one).await, ChannelMessage::Payload("first".to_owned()));
        assert_eq!(next(&mut two).await, ChannelMessage::Payload("first".to_owned()));

        let (client, connection) = tokio_postgres_connect(&url).await;
        let ended: i64 = client
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = 'events' AND application_name = 'voicefleet-console-events'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(ended, 2, "both listening connections ended");
        drop(client);
        connection.abort();
        assert_eq!(next(&mut one).await, ChannelMessage::Reconnected);
        assert_eq!(next(&mut two).await, ChannelMessage::Reconnected);
        two.outgoing.send("after".to_owned()).unwrap();
        assert_eq!(next(&mut one).await, ChannelMessage::Payload("after".to_owned()));
        assert_eq!(next(&mut two).await, ChannelMessage::Payload("after".to_owned()));
    }

    async fn bad_urls_say_what_to_do(server: &PostgresServer) {
        let message = |result: voicefleet_core::Result<PostgresStore>| match result {
            Ok(_) => panic!("connected"),
            Err(error) => error.to_string(),
        };
        let port = server.port;
        // No password (and none in PGPASSWORD): the server asks for one.
        assert!(
            std::env::var_os("PGPASSWORD").is_none()
                && std::env::var_os("VOICEFLEET_STORE_PASSWORD").is_none()
        );
        let text = message(
            PostgresStore::connect(&format!("postgres://{USER}@127.0.0.1:{port}/postgres?sslmode=disable"))
                .await,
        );
        assert!(text.contains("asks for a password") && text.contains("VOICEFLEET_STORE_PASSWORD"), "{text}");
        let text = message(
            PostgresStore::connect(&format!(
                "postgres://{USER}:wrong@127.0.0.1:{port}/postgres?sslmode=disable"
            ))
            .await,
        );
        assert!(text.contains("check the user and password"), "{text}");
        assert!(!text.contains("wrong"), "the password is never shown: {text}");
        let text = message(
            PostgresStore::connect(&format!(
                "postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/missing?sslmode=disable"
            ))
            .await,
        );
        assert!(text.contains("create the database"), "{text}");
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let text = message(
            PostgresStore::connect(&format!(
                "postgres://{USER}:{PASSWORD}@127.0.0.1:{closed}/db?sslmode=disable"
            ))
            .await,
        );
        assert!(text.contains("running and reachable") && !text.contains(PASSWORD), "{text}");
        let text = message(PostgresStore::connect("mysql://root@localhost/db").await);
        assert!(text.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"), "{text}");
    }

    async fn a_newer_database_is_refused(server: &PostgresServer) {
        let url = server.create_database("newer");
        PostgresStore::connect(&url).await.unwrap();
        let (client, connection) = tokio_postgres_connect(&url).await;
        client.execute("UPDATE voicefleet_schema SET version = version + 1", &[]).await.unwrap();
        drop(client);
        connection.abort();
        let error = PostgresStore::connect(&url).await.unwrap_err();
        assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
        assert!(error.to_string().contains("newer than this voicefleet"), "{error}");
    }

    async fn an_untrusted_tls_certificate_is_refused(server: &PostgresServer) {
        let url = server.create_database("tls");
        let (client, connection) = tokio_postgres_connect(&url).await;
        for statement in server.tls_statements() {
            client.batch_execute(&statement).await.unwrap();
        }
        client.batch_execute("SELECT pg_reload_conf()").await.unwrap();
        drop(client);
        connection.abort();
        let port = server.port;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let text = loop {
            // TLS is the default (sslmode=prefer), and sslmode=require insists on it.
            let result =
                PostgresStore::connect(&format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/tls")).await;
            match result {
                Err(error) => break error.to_string(),
                // Until the reload has taken: no TLS offered, so prefer fell back to plain.
                Ok(_) => assert!(std::time::Instant::now() < deadline, "TLS never came on"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert!(
            text.contains("TLS certificate is not trusted") && text.contains("sslmode=disable"),
            "{text}"
        );
        let text = PostgresStore::connect(&format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/tls?sslmode=require"
        ))
        .await
        .unwrap_err()
        .to_string();
        assert!(text.contains("TLS certificate is not trusted"), "{text}");
        PostgresStore::connect(&url).await.expect("sslmode=disable still connects");
    }

    /// A plain connection, for changing the database behind the store's back.
    async fn tokio_postgres_connect(url: &str) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        (
            client,
            tokio::spawn(async move {
                let _ = connection.await;
            }),
        )
    }
}
