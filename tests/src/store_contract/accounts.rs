//! The contract's accounts cases: users and API tokens, the second factor, failed logins.

use std::sync::Arc;

use voicefleet_core::Error;
use voicefleet_core::auth::Role;
use voicefleet_core::console::mfa::{MfaRecord, RecoveryCodeRecord};
use voicefleet_core::console::{Store, TokenRecord, UserRecord};

use super::{record, verified_chain};

fn user(name: &str, role: Role) -> UserRecord {
    UserRecord {
        name: name.to_owned(),
        role,
        password_hash: format!("$argon2id$hash-of-{name}"),
        created_at_ms: 1_000,
        failed_logins: 0,
        locked_until_ms: None,
        tokens_after_s: 0,
    }
}

fn token(id: &str, created_by: &str, created_at_ms: u64) -> TokenRecord {
    TokenRecord {
        id: id.to_owned(),
        name: format!("token {id}"),
        role: Role::Operator,
        token_hash: format!("hash-{id}"),
        created_by: created_by.to_owned(),
        created_at_ms,
        expires_at_ms: Some(9_999_999_999_999),
        revoked: false,
    }
}

pub(super) async fn users_and_tokens(store: Arc<dyn Store>) {
    store.insert_user(user("bob", Role::Viewer), record("user.add", "bob")).await.unwrap();
    store.insert_user(user("alice", Role::Admin), record("user.add", "alice")).await.unwrap();
    let again = store.insert_user(user("bob", Role::Admin), record("user.add", "bob")).await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    let names: Vec<String> = store.users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "bob"]);
    let mut changed = user("bob", Role::Operator);
    (changed.failed_logins, changed.locked_until_ms, changed.tokens_after_s) = (3, Some(77), 1_700_000_000);
    store.update_user(changed.clone(), None).await.unwrap();
    assert_eq!(store.user("bob").await.unwrap(), Some(changed));
    assert_eq!(store.user("nobody").await.unwrap(), None);

    store.insert_token(token("t2", "bob", 20), record("token.create", "t2")).await.unwrap();
    store.insert_token(token("t1", "alice", 10), record("token.create", "t1")).await.unwrap();
    assert_eq!(store.token_by_hash("hash-t2").await.unwrap(), Some(token("t2", "bob", 20)));
    assert_eq!(store.token_by_hash("nothing").await.unwrap(), None);
    let ids: Vec<String> = store.tokens().await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["t1", "t2"]);
    assert!(store.revoke_token("t1", record("token.revoke", "t1")).await.unwrap());
    assert!(!store.revoke_token("none", record("token.revoke", "none")).await.unwrap());
    assert!(store.token_by_hash("hash-t1").await.unwrap().unwrap().revoked);

    // Deleting a user revokes the tokens they made and removes their second factor.
    store.put_mfa(mfa("bob", 0), record("mfa.enable", "bob")).await.unwrap();
    store.delete_user("bob", record("user.remove", "bob")).await.unwrap();
    assert_eq!(store.user("bob").await.unwrap(), None);
    assert!(store.token_by_hash("hash-t2").await.unwrap().unwrap().revoked);
    assert_eq!(store.mfa("bob").await.unwrap(), None);
    assert_eq!(verified_chain(&*store).await, 8);
}

fn mfa(name: &str, last_step: u64) -> MfaRecord {
    MfaRecord {
        name: name.to_owned(),
        nonce: vec![9; 12],
        ciphertext: vec![1, 2, 3],
        confirmed: false,
        last_step,
        created_at_ms: 5,
        recovery_codes: ["c", "a", "b"]
            .iter()
            .map(|code| RecoveryCodeRecord {
                salt: format!("salt-{code}"),
                hash: format!("hash-{code}"),
                used_at_ms: None,
            })
            .collect(),
    }
}

pub(super) async fn second_factor(store: Arc<dyn Store>) {
    store.insert_user(user("alice", Role::Admin), record("user.add", "alice")).await.unwrap();
    store.insert_user(user("bob", Role::Viewer), record("user.add", "bob")).await.unwrap();
    store.put_mfa(mfa("alice", 0), record("mfa.enable", "alice")).await.unwrap();
    store.put_mfa(mfa("bob", 0), record("mfa.enable", "bob")).await.unwrap();
    // Codes in the order they were given.
    assert_eq!(store.mfa("alice").await.unwrap(), Some(mfa("alice", 0)));
    assert_eq!(store.mfa_all().await.unwrap().len(), 2);

    assert!(store.confirm_mfa("alice", 100, record("mfa.confirm", "alice")).await.unwrap());
    assert!(!store.confirm_mfa("alice", 100, record("mfa.confirm", "alice")).await.unwrap());
    assert!(store.mfa("alice").await.unwrap().unwrap().confirmed);

    // One code, many logins at once: exactly one uses it.
    let logins = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.use_totp_step("alice", 101).await.unwrap() })
    });
    let used: Vec<bool> =
        futures_util::future::join_all(logins).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(used.iter().filter(|u| **u).count(), 1, "{used:?}");
    assert!(!store.use_totp_step("alice", 100).await.unwrap());
    assert!(store.use_totp_step("alice", 102).await.unwrap());
    assert_eq!(store.mfa("alice").await.unwrap().unwrap().last_step, 102);

    let codes = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.use_recovery_code("alice", "hash-a", 77).await.unwrap() })
    });
    let used: Vec<bool> =
        futures_util::future::join_all(codes).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(used.iter().filter(|u| **u).count(), 1, "{used:?}");
    assert!(!store.use_recovery_code("alice", "no-such", 77).await.unwrap());
    let stored = store.mfa("alice").await.unwrap().unwrap();
    assert_eq!(stored.recovery_codes[1].used_at_ms, Some(77));

    // A new enrollment replaces the old one, codes included.
    let mut again = mfa("alice", 0);
    again.recovery_codes.truncate(1);
    store.put_mfa(again.clone(), record("mfa.enable", "alice")).await.unwrap();
    assert_eq!(store.mfa("alice").await.unwrap(), Some(again));
    assert!(store.delete_mfa("bob", record("mfa.disable", "bob")).await.unwrap());
    assert!(!store.delete_mfa("bob", record("mfa.disable", "bob")).await.unwrap());

    assert!(store.mfa_required_roles().await.unwrap().is_empty());
    store.set_mfa_required(Role::Operator, true, record("mfa.require", "operator")).await.unwrap();
    store.set_mfa_required(Role::Admin, true, record("mfa.require", "admin")).await.unwrap();
    store.set_mfa_required(Role::Admin, true, record("mfa.require", "admin")).await.unwrap();
    let mut expected = vec![Role::Admin, Role::Operator];
    expected.sort();
    assert_eq!(store.mfa_required_roles().await.unwrap(), expected);
    store.set_mfa_required(Role::Operator, false, record("mfa.require", "operator")).await.unwrap();
    assert_eq!(store.mfa_required_roles().await.unwrap(), [Role::Admin]);
    assert_eq!(verified_chain(&*store).await, 12);
}

pub(super) async fn login_failures(store: Arc<dyn Store>) {
    const DAY_MS: u64 = 86_400_000;
    let now = 10 * DAY_MS;
    let failures = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store.record_login_failure("alice", "10.0.0.1", now + i, record("login", "alice")).await.unwrap()
        })
    });
    let mut counts: Vec<u32> =
        futures_util::future::join_all(failures).await.into_iter().map(Result::unwrap).collect();
    counts.sort();
    assert_eq!(counts, (1..=10).collect::<Vec<u32>>());
    assert_eq!(store.login_failures("alice", "10.0.0.1").await.unwrap().map(|(n, _)| n), Some(10));
    store.record_login_failure("alice", "10.0.0.2", now, record("login", "alice")).await.unwrap();
    store.clear_login_failures("alice", Some("10.0.0.1"), None).await.unwrap();
    assert_eq!(store.login_failures("alice", "10.0.0.1").await.unwrap(), None);
    assert_eq!(store.login_failures("alice", "10.0.0.2").await.unwrap(), Some((1, now)));
    store.clear_login_failures("alice", None, Some(record("user.unlock", "alice"))).await.unwrap();
    assert_eq!(store.login_failures("alice", "10.0.0.2").await.unwrap(), None);
    // Failures older than a day are forgotten when another is counted.
    store.record_login_failure("bob", "10.0.0.3", now, record("login", "bob")).await.unwrap();
    store
        .record_login_failure("carol", "10.0.0.3", now + 2 * DAY_MS, record("login", "carol"))
        .await
        .unwrap();
    assert_eq!(store.login_failures("bob", "10.0.0.3").await.unwrap(), None);
    assert_eq!(verified_chain(&*store).await, 14);
}

/// Login attempts per address, the limit every replica counts against.
pub(super) async fn login_attempts(store: Arc<dyn Store>) {
    const MINUTE_MS: u64 = 60_000;
    let now = 1_700_000_000_000;
    // Concurrent attempts (as from two replicas at once) are each counted once.
    let attempts = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.count_login_attempt("10.0.0.1", now, MINUTE_MS).await.unwrap() })
    });
    let mut counts: Vec<u32> =
        futures_util::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    counts.sort();
    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
    // Another address has a count of its own.
    assert_eq!(store.count_login_attempt("10.0.0.2", now + 30_000, MINUTE_MS).await.unwrap(), 1);
    // Still the same window until a minute after its first attempt, then a new one.
    assert_eq!(store.count_login_attempt("10.0.0.1", now + MINUTE_MS - 1, MINUTE_MS).await.unwrap(), 21);
    assert_eq!(store.count_login_attempt("10.0.0.1", now + MINUTE_MS, MINUTE_MS).await.unwrap(), 1);
    assert_eq!(store.count_login_attempt("10.0.0.1", now + MINUTE_MS + 5, MINUTE_MS).await.unwrap(), 2);
    // Counting changes nothing audited.
    assert_eq!(verified_chain(&*store).await, 0);
}

/// The key fingerprints replicas check: recorded once, swapped only from the recorded one.
pub(super) async fn key_fingerprints(store: Arc<dyn Store>) {
    assert!(store.key_fingerprints().await.unwrap().is_empty());
    let recorded = |name: &str| record("console.keys", name);
    assert!(store.record_key_fingerprint("signing", "sha256:a", None, 1, recorded("signing")).await.unwrap());
    // A second first record (another console starting) does not replace it, nor audit anything.
    assert!(
        !store.record_key_fingerprint("signing", "sha256:b", None, 2, recorded("signing")).await.unwrap()
    );
    assert!(store.record_key_fingerprint("master", "hmac:m", None, 3, recorded("master")).await.unwrap());
    assert_eq!(
        store.key_fingerprints().await.unwrap(),
        [("master".to_owned(), "hmac:m".to_owned()), ("signing".to_owned(), "sha256:a".to_owned())]
    );
    // A swap from a fingerprint that is not the recorded one is refused.
    let wrong = store.record_key_fingerprint("signing", "sha256:c", Some("sha256:b"), 4, recorded("signing"));
    assert!(!wrong.await.unwrap());
    let rotated =
        store.record_key_fingerprint("signing", "sha256:c", Some("sha256:a"), 5, recorded("signing"));
    assert!(rotated.await.unwrap());
    assert!(store.key_fingerprints().await.unwrap().contains(&("signing".to_owned(), "sha256:c".to_owned())));
    assert_eq!(verified_chain(&*store).await, 3);
}

/// `Idempotency-Key`s: the first claim wins, whichever console asks; a failed request frees it.
pub(super) async fn idempotency_keys(store: Arc<dyn Store>) {
    use voicefleet_core::console::IdempotencyClaim;
    const DAY_MS: u64 = 86_400_000;
    let now = 10 * DAY_MS;
    let claims = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(
            async move { store.claim_idempotency_key("admin", "k1", "bulk restart", now, DAY_MS).await },
        )
    });
    let claims: Vec<IdempotencyClaim> =
        futures_util::future::join_all(claims).await.into_iter().map(|c| c.unwrap().unwrap()).collect();
    assert_eq!(claims.iter().filter(|c| **c == IdempotencyClaim::First).count(), 1, "{claims:?}");
    let pending = IdempotencyClaim::Taken { fingerprint: "bulk restart".to_owned(), result: None };
    assert_eq!(claims.iter().filter(|c| **c == pending).count(), 7, "{claims:?}");
    store.finish_idempotency_key("admin", "k1", Some("run-1")).await.unwrap();
    assert_eq!(
        store.claim_idempotency_key("admin", "k1", "other", now + 1, DAY_MS).await.unwrap(),
        IdempotencyClaim::Taken { fingerprint: "bulk restart".to_owned(), result: Some("run-1".to_owned()) }
    );
    // Another caller's key of the same name is its own.
    assert_eq!(
        store.claim_idempotency_key("ci", "k1", "x", now, DAY_MS).await.unwrap(),
        IdempotencyClaim::First
    );
    // A failed first request frees the key; a day later a key is forgotten.
    store.finish_idempotency_key("ci", "k1", None).await.unwrap();
    assert_eq!(
        store.claim_idempotency_key("ci", "k1", "y", now, DAY_MS).await.unwrap(),
        IdempotencyClaim::First
    );
    let later = now + DAY_MS + 1;
    assert_eq!(
        store.claim_idempotency_key("admin", "k1", "z", later, DAY_MS).await.unwrap(),
        IdempotencyClaim::First
    );
    assert_eq!(verified_chain(&*store).await, 0);
}
