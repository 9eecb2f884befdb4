//! The second factor over HTTP, against a console on loopback: the login's error `code` a client
//! prompts on, each code taken once, recovery codes once, the role requirement. Codes are
//! computed here from the `otpauth://` URI (RFC 6238, HMAC-SHA1), not by core's code.

use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use voicefleet_core::auth::Role;
use voicefleet_http::ConsoleClient;

use crate::TestConsole;

/// The code of the URI's secret at `unix_seconds`, as an authenticator app computes it.
fn code(uri: &str, unix_seconds: u64) -> String {
    let secret = uri.split("secret=").nth(1).unwrap().split('&').next().unwrap();
    let mut bits = String::new();
    for c in secret.chars() {
        let value = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap();
        bits.push_str(&format!("{value:05b}"));
    }
    let key: Vec<u8> = bits
        .as_bytes()
        .chunks_exact(8)
        .map(|b| u8::from_str_radix(std::str::from_utf8(b).unwrap(), 2).unwrap())
        .collect();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(unix_seconds / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0xf) as usize;
    let value = u32::from_be_bytes(hash[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A raw login: the status and the JSON body.
async fn login(url: &str, name: &str, password: &str, otp: Option<&str>) -> (u16, Value) {
    let mut body = json!({"name": name, "password": password});
    if let Some(otp) = otp {
        body["otp"] = json!(otp);
    }
    let response =
        reqwest::Client::new().post(format!("{url}/v1/auth/login")).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_asks_for_the_second_factor_and_takes_each_code_once() {
    let mut console = TestConsole::start().await;
    let url = console.url.clone();
    let anonymous = ConsoleClient::new(&url, None).unwrap();
    let admin_token = anonymous.login("admin", &console.admin_password).await.unwrap().token;
    let admin = ConsoleClient::new(&url, Some(admin_token)).unwrap();
    admin.add_user("carol", Role::Operator, "carol's long password").await.unwrap();
    let carol_token = anonymous.login("carol", "carol's long password").await.unwrap().token;
    let carol = ConsoleClient::new(&url, Some(carol_token)).unwrap();

    // Carol enrolls herself; an operator cannot enroll someone else.
    let forbidden = carol.enable_mfa(Some("admin")).await.unwrap_err();
    assert_eq!(forbidden.kind(), voicefleet_core::ErrorKind::Forbidden, "{forbidden}");
    let enrollment = carol.enable_mfa(None).await.unwrap();
    assert!(enrollment.otpauth_uri.starts_with("otpauth://totp/voicefleet:carol?secret="));
    assert_eq!(enrollment.recovery_codes.len(), 10);
    // Pending: the password alone still works until a first code confirms it.
    let (status, _) = login(&url, "carol", "carol's long password", None).await;
    assert_eq!(status, 200);
    let wrong = carol.confirm_mfa(None, "000000").await.unwrap_err();
    assert_eq!(wrong.kind(), voicefleet_core::ErrorKind::InvalidInput, "{wrong}");
    carol.confirm_mfa(None, &code(&enrollment.otpauth_uri, now_s())).await.unwrap();
    let users = admin.users().await.unwrap();
    assert_eq!(users.iter().find(|u| u.name == "carol").unwrap().mfa.to_string(), "on");

    let (status, body) = login(&url, "carol", "carol's long password", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("otp_required")), "{body}");
    assert_eq!(body["error"]["kind"], "unauthorized");
    let (status, body) = login(&url, "carol", "carol's long password", Some("123456")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("otp_invalid")), "{body}");
    // The next step's code (within the window) gives a token, once. (Two failures so far: the
    // third would start the slowdown; a success clears them.)
    let next = code(&enrollment.otpauth_uri, now_s() + 30);
    let (status, body) = login(&url, "carol", "carol's long password", Some(&next)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["token"].as_str().is_some_and(|t| !t.is_empty()));
    let (status, body) = login(&url, "carol", "carol's long password", Some(&next)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("otp_invalid")), "replayed: {body}");
    // A wrong password is still only that, whatever the code.
    let (status, body) = login(&url, "carol", "not the password", Some("123456")).await;
    assert_eq!((status, body["error"].get("code")), (401, None), "{body}");

    // A recovery code works once; the client reads the refusal back as a second-factor error.
    let recovery = &enrollment.recovery_codes[0];
    anonymous.login_with_otp("carol", "carol's long password", Some(recovery)).await.unwrap();
    let again = anonymous.login_with_otp("carol", "carol's long password", Some(recovery)).await.unwrap_err();
    assert_eq!(again.code(), Some("otp_invalid"), "{again}");
    let missing = anonymous.login("carol", "carol's long password").await.unwrap_err();
    assert!(matches!(missing, voicefleet_core::Error::SecondFactor { .. }), "{missing:?}");

    // Audited: enable, confirm, the refusals and the successes with their factor.
    let audit = admin.audit_page().await;
    let outcomes: Vec<String> = audit
        .iter()
        .filter(|e| e["actor"] == "carol")
        .map(|e| format!("{} {}", e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    for expected in [
        "mfa.enable ok",
        "mfa.confirm ok",
        "login failed: second factor: no code given",
        "login ok: from 127.0.0.1, second factor: totp",
        "login ok: from 127.0.0.1, second factor: recovery code, 9 left",
    ] {
        assert!(outcomes.iter().any(|o| o.starts_with(expected)), "{expected}: {outcomes:#?}");
    }

    // An admin removes it; the password alone works again.
    admin.disable_mfa(Some("carol"), None).await.unwrap();
    let (status, body) = login(&url, "carol", "carol's long password", None).await;
    assert_eq!(status, 200, "{body}");
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_requires_a_second_factor_refuses_users_without_one() {
    let mut console = TestConsole::start().await;
    let url = console.url.clone();
    let anonymous = ConsoleClient::new(&url, None).unwrap();
    let admin = ConsoleClient::new(
        &url,
        Some(anonymous.login("admin", &console.admin_password).await.unwrap().token),
    )
    .unwrap();
    admin.add_user("vic", Role::Viewer, "vic's long password").await.unwrap();
    let vic =
        ConsoleClient::new(&url, Some(anonymous.login("vic", "vic's long password").await.unwrap().token))
            .unwrap();
    assert_eq!(vic.mfa_policy().await.unwrap_err().kind(), voicefleet_core::ErrorKind::Forbidden);
    assert_eq!(
        vic.set_mfa_required(Role::Viewer, false).await.unwrap_err().kind(),
        voicefleet_core::ErrorKind::Forbidden
    );

    // The admin cannot require it of admins before enrolling themselves.
    let error = admin.set_mfa_required(Role::Admin, true).await.unwrap_err();
    assert_eq!(error.kind(), voicefleet_core::ErrorKind::Conflict, "{error}");
    let policy = admin.set_mfa_required(Role::Viewer, true).await.unwrap();
    assert_eq!(policy.required_roles, vec![Role::Viewer]);
    assert_eq!(policy.unenrolled, vec!["vic".to_owned()]);
    let users = admin.users().await.unwrap();
    assert!(users.iter().find(|u| u.name == "vic").unwrap().mfa_required);

    let (status, body) = login(&url, "vic", "vic's long password", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("mfa_enrollment_required")), "{body}");
    assert_eq!(
        body["error"]["remedy"],
        serde_json::json!({"action": "enroll_second_factor", "subject": "vic"})
    );
    assert!(body["error"]["hint"].as_str().unwrap().contains("second factor for `vic`"), "{body}");

    // The admin enrolls vic and hands over the URI; vic's first login with a code confirms it.
    let enrollment = admin.enable_mfa(Some("vic")).await.unwrap();
    let (status, body) = login(&url, "vic", "vic's long password", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("otp_required")), "{body}");
    let (status, body) =
        login(&url, "vic", "vic's long password", Some(&code(&enrollment.otpauth_uri, now_s()))).await;
    assert_eq!(status, 200, "{body}");
    assert!(admin.mfa_policy().await.unwrap().unenrolled.is_empty());

    // Vic removes their own only with a current code.
    let vic = ConsoleClient::new(&url, Some(body["token"].as_str().unwrap().to_owned())).unwrap();
    let error = vic.disable_mfa(None, None).await.unwrap_err();
    assert!(error.to_string().contains("needs a current code"), "{error}");
    vic.disable_mfa(None, Some(&enrollment.recovery_codes[1])).await.unwrap();
    let policy = admin.set_mfa_required(Role::Viewer, false).await.unwrap();
    assert!(policy.required_roles.is_empty());
    console.stop().await;
}

/// Helpers over the admin's client.
trait AuditPage {
    async fn audit_page(&self) -> Vec<Value>;
}

impl AuditPage for ConsoleClient {
    async fn audit_page(&self) -> Vec<Value> {
        let entries = voicefleet_core::console::Fleet::audit(
            self,
            &voicefleet_core::console::Actor::new("x", Role::Admin),
            0,
            1000,
        )
        .await
        .unwrap();
        entries.into_iter().map(|e| serde_json::to_value(e).unwrap()).collect()
    }
}
