//! The second factor, on a clock the test moves: enrollment confirmed by a first code, codes
//! within one step accepted once, recovery codes once, the role requirement, and who may do what.
//! Codes are computed by the tests crate's own RFC 6238 code from the `otpauth://` URI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock;
use voicefleet_core::console::{Accounts, Actor, MfaState, SecretBox, SqliteStore, Store};
use voicefleet_core::{ErrorKind, OtpRefusal, Remedy};
use voicefleet_tests::otp::{code_at, secret_of};

#[derive(Debug)]
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Setup {
    accounts: Accounts,
    clock: Arc<TestClock>,
    store: Arc<SqliteStore>,
    admin: Actor,
}

impl Setup {
    fn now_s(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    fn next_step(&self) {
        self.clock.0.fetch_add(30_000, Ordering::SeqCst);
    }

    async fn login(&self, name: &str, otp: Option<&str>) -> voicefleet_core::Result<Role> {
        let password = format!("{name}'s long password");
        self.accounts.login(name, &password, otp, "192.0.2.1", "r").await.map(|user| user.role)
    }
}

async fn setup() -> Setup {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let clock = Arc::new(TestClock(AtomicU64::new(1_700_000_000_000)));
    let accounts = Accounts::with_clock(store.clone(), SecretBox::new(&[5; 32]), clock.clone());
    let admin = Actor::new("root", Role::Admin);
    for (name, role) in [("root", Role::Admin), ("alice", Role::Operator), ("bob", Role::Operator)] {
        accounts.add_user(&admin, name, role, &format!("{name}'s long password")).await.unwrap();
    }
    Setup { accounts, clock, store, admin }
}

fn refusal(result: voicefleet_core::Result<Role>) -> Option<&'static str> {
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error}");
    error.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_second_factor_takes_each_code_once_within_one_step() {
    let s = setup().await;
    let alice = Actor::new("alice", Role::Operator);
    let enrollment = s.accounts.enable_mfa(&alice, "alice").await.unwrap();
    assert!(
        enrollment.otpauth_uri.starts_with("otpauth://totp/voicefleet:alice?"),
        "{}",
        enrollment.otpauth_uri
    );
    assert!(enrollment.otpauth_uri.contains("issuer=voicefleet"));
    let secret = secret_of(&enrollment.otpauth_uri);
    assert_eq!(secret.len(), 20);
    assert_eq!(enrollment.recovery_codes.len(), 10);

    // Pending: not required yet, so the password alone still works.
    assert_eq!(s.login("alice", None).await.unwrap(), Role::Operator);
    let users = s.accounts.users(&s.admin).await.unwrap();
    assert_eq!(users.iter().find(|u| u.name == "alice").unwrap().mfa, MfaState::Pending);

    let wrong = s.accounts.confirm_mfa(&alice, "alice", "000000").await.unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::InvalidInput, "{wrong}");
    s.accounts.confirm_mfa(&alice, "alice", &code_at(&secret, s.now_s())).await.unwrap();
    let users = s.accounts.users(&s.admin).await.unwrap();
    assert_eq!(users.iter().find(|u| u.name == "alice").unwrap().mfa, MfaState::On);

    assert_eq!(refusal(s.login("alice", None).await), Some(OtpRefusal::Required.code()));
    assert_eq!(refusal(s.login("alice", Some("123456")).await), Some("otp_invalid"));
    // The code that confirmed is used up.
    assert_eq!(refusal(s.login("alice", Some(&code_at(&secret, s.now_s()))).await), Some("otp_invalid"));
    // Those three refusals count as failed logins: the next attempt from there waits a second.
    let ahead = code_at(&secret, s.now_s() + 30);
    let slowed = s.login("alice", Some(&ahead)).await.unwrap_err();
    assert!(slowed.to_string().contains("too many failed logins"), "{slowed}");
    s.clock.0.fetch_add(1_000, Ordering::SeqCst);
    // The next step's code works (a clock 30 s ahead), once.
    assert_eq!(s.login("alice", Some(&ahead)).await.unwrap(), Role::Operator);
    assert_eq!(refusal(s.login("alice", Some(&ahead)).await), Some("otp_invalid"), "replayed");
    // Two steps later, a code two steps old is refused, the current one and the one before work.
    s.next_step();
    s.next_step();
    s.next_step();
    assert_eq!(refusal(s.login("alice", Some(&code_at(&secret, s.now_s() - 60))).await), Some("otp_invalid"));
    s.login("alice", Some(&code_at(&secret, s.now_s() - 30))).await.unwrap();
    s.login("alice", Some(&code_at(&secret, s.now_s()))).await.unwrap();

    // Every refusal counted as a failed login and was audited; the successes too.
    let audit = s.store.audit(0, 1000).await.unwrap();
    let refused = audit
        .iter()
        .filter(|e| {
            e.action == "login" && e.outcome.contains("second factor:") && e.outcome.starts_with("failed")
        })
        .count();
    assert_eq!(refused, 5, "{audit:#?}");
    assert!(audit.iter().any(|e| e.action == "mfa.enable" && e.target == "alice"));
    assert!(audit.iter().any(|e| e.action == "mfa.confirm" && e.outcome == "ok"));
    assert!(audit.iter().any(|e| e.action == "login" && e.outcome.ends_with("second factor: totp")));

    // The secret is not in the database in clear.
    let record = s.store.mfa("alice").await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&record.ciphertext).to_string();
    assert!(!text.contains(&enrollment.secret), "sealed at rest");
    assert!(
        record
            .recovery_codes
            .iter()
            .all(|c| !enrollment.recovery_codes.iter().any(|code| c.hash.contains(code.as_str())))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_code_works_once() {
    let s = setup().await;
    let enrollment = s.accounts.enable_mfa(&s.admin, "alice").await.unwrap();
    let secret = secret_of(&enrollment.otpauth_uri);
    s.accounts.confirm_mfa(&s.admin, "alice", &code_at(&secret, s.now_s())).await.unwrap();
    let code = enrollment.recovery_codes[3].clone();
    assert_eq!(s.login("alice", Some(&code)).await.unwrap(), Role::Operator);
    assert_eq!(refusal(s.login("alice", Some(&code)).await), Some("otp_invalid"), "used");
    // Typed in capitals with spaces, another one works.
    let typed = enrollment.recovery_codes[4].to_uppercase().replace('-', " ");
    s.login("alice", Some(&typed)).await.unwrap();
    let audit = s.store.audit(0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.outcome.ends_with("second factor: recovery code, 8 left")), "{audit:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_can_require_a_second_factor() {
    let s = setup().await;
    let policy = s.accounts.require_mfa(&s.admin, Role::Operator).await.unwrap();
    assert_eq!(policy.required_roles, vec![Role::Operator]);
    assert_eq!(policy.unenrolled, vec!["alice".to_owned(), "bob".to_owned()]);
    let error = s.login("bob", None).await.unwrap_err();
    assert_eq!(error.code(), Some("mfa_enrollment_required"));
    assert!(error.to_string().contains("the operator role requires a second factor"), "{error}");
    assert_eq!(error.remedy(), Some(Remedy::EnrollSecondFactor { user: "bob".to_owned() }));
    let hint = error.hint().unwrap();
    assert!(hint.contains("second factor for `bob`") && !hint.contains("voicefleet users"), "{hint}");
    // Admins are not concerned.
    s.login("root", None).await.unwrap();

    // An admin enrolls bob; bob's first login needs the code, which confirms the enrollment.
    let enrollment = s.accounts.enable_mfa(&s.admin, "bob").await.unwrap();
    assert_eq!(refusal(s.login("bob", None).await), Some("otp_required"));
    let code = code_at(&secret_of(&enrollment.otpauth_uri), s.now_s());
    s.login("bob", Some(&code)).await.unwrap();
    let users = s.accounts.users(&s.admin).await.unwrap();
    let bob = users.iter().find(|u| u.name == "bob").unwrap();
    assert_eq!((bob.mfa, bob.mfa_required), (MfaState::On, true));
    assert_eq!(s.accounts.mfa_policy(&s.admin).await.unwrap().unenrolled, vec!["alice".to_owned()]);

    // An admin cannot require it of their own role before enrolling (their next login would fail).
    let root = Actor::new("root", Role::Admin);
    let error = s.accounts.require_mfa(&root, Role::Admin).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
    assert_eq!(error.remedy(), Some(Remedy::ConfirmOwnSecondFactor { user: "root".to_owned() }));
    let policy = s.accounts.unrequire_mfa(&root, Role::Operator).await.unwrap();
    assert!(policy.required_roles.is_empty());
    s.login("alice", None).await.unwrap();
    let audit = s.store.audit(0, 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "mfa.require").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_manage_others_and_your_own_removal_needs_a_code() {
    let s = setup().await;
    let alice = Actor::new("alice", Role::Operator);
    let error = s.accounts.enable_mfa(&alice, "bob").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    assert_eq!(s.accounts.require_mfa(&alice, Role::Viewer).await.unwrap_err().kind(), ErrorKind::Forbidden);

    let enrollment = s.accounts.enable_mfa(&alice, "alice").await.unwrap();
    let secret = secret_of(&enrollment.otpauth_uri);
    s.accounts.confirm_mfa(&alice, "alice", &code_at(&secret, s.now_s())).await.unwrap();
    let again = s.accounts.enable_mfa(&alice, "alice").await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict, "a confirmed factor is not replaced silently");

    let error = s.accounts.disable_mfa(&alice, "alice", None).await.unwrap_err();
    assert!(error.to_string().contains("needs a current code"), "{error}");
    let error = s.accounts.disable_mfa(&alice, "alice", Some("111111")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    // Wrong codes slow down like failed logins: after three, even the right one waits.
    for _ in 0..2 {
        s.accounts.disable_mfa(&alice, "alice", Some("111111")).await.unwrap_err();
    }
    s.next_step();
    s.clock.0.fetch_sub(29_500, Ordering::SeqCst);
    let right = code_at(&secret, s.now_s());
    let slowed = s.accounts.disable_mfa(&alice, "alice", Some(&right)).await.unwrap_err();
    assert!(slowed.to_string().contains("too many wrong codes"), "{slowed}");
    s.next_step();
    s.accounts.disable_mfa(&alice, "alice", Some(&code_at(&secret, s.now_s()))).await.unwrap();
    s.login("alice", None).await.unwrap();
    let error = s.accounts.disable_mfa(&s.admin, "alice", None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);

    // An admin removes another user's without a code; removing the user removes it too.
    s.accounts.enable_mfa(&s.admin, "bob").await.unwrap();
    s.accounts.disable_mfa(&s.admin, "bob", None).await.unwrap();
    s.accounts.enable_mfa(&s.admin, "bob").await.unwrap();
    s.accounts.remove_user(&s.admin, "bob").await.unwrap();
    assert!(s.store.mfa("bob").await.unwrap().is_none());
}
