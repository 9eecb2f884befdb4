//! What may cross a network in clear, table-tested: URLs, plain-HTTP listeners, allow-lists.

use std::net::{IpAddr, SocketAddr};

use voicefleet_core::transport::{is_allowed, is_secure_url, parse_cidr, plaintext_verdict};

#[test]
fn only_https_or_loopback_http_is_secure() {
    for (url, secure) in [
        ("https://hooks.example.com/x", true),
        ("https://10.0.1.17:8000", true),
        ("http://127.0.0.1:8001", true),
        ("http://127.8.9.10:8001", true),
        ("http://localhost:8000", true),
        ("http://[::1]:8000", true),
        ("http://10.0.1.17:8000", false),
        ("http://hooks.example.com/x", false),
        ("http://localhost.example.com", false),
        ("ftp://127.0.0.1", false),
    ] {
        assert_eq!(is_secure_url(&url::Url::parse(url).unwrap()), secure, "{url}");
    }
}

#[test]
fn plain_http_off_loopback_needs_the_operators_word() {
    let at = |text: &str| text.parse::<SocketAddr>().unwrap();
    assert_eq!(plaintext_verdict(at("127.0.0.1:9000"), false, false).unwrap(), None);
    assert_eq!(plaintext_verdict(at("[::1]:9000"), false, false).unwrap(), None);
    assert_eq!(plaintext_verdict(at("0.0.0.0:9000"), true, false).unwrap(), None);
    let refused = plaintext_verdict(at("0.0.0.0:9000"), false, false).unwrap_err();
    assert_eq!(refused.kind(), voicefleet_core::ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("refusing to serve plain HTTP on 0.0.0.0:9000"), "{refused}");
    assert_eq!(refused.remedy(), Some(voicefleet_core::Remedy::ServeOverTls));
    assert!(refused.hint().unwrap_or_default().contains("TLS certificate and key"), "{refused:?}");
    let warning = plaintext_verdict(at("10.0.0.5:9000"), false, true).unwrap().expect("a warning");
    assert!(warning.contains("as allowed explicitly") && warning.contains("in clear"), "{warning}");
}

#[test]
fn allow_lists_admit_their_networks_only() {
    let nets = [
        parse_cidr("10.0.0.0/8").unwrap(),
        parse_cidr("192.168.1.7").unwrap(),
        parse_cidr("fd00::/8").unwrap(),
    ];
    for (address, allowed) in [
        ("10.1.2.3", true),
        ("11.0.0.1", false),
        ("192.168.1.7", true),
        ("192.168.1.8", false),
        ("fd12::1", true),
        ("::ffff:10.9.9.9", true),
        ("127.0.0.1", false),
    ] {
        assert_eq!(is_allowed(&nets, address.parse::<IpAddr>().unwrap()), allowed, "{address}");
    }
    assert!(is_allowed(&[], "203.0.113.9".parse().unwrap()), "no list: anyone");
    let error = parse_cidr("10.0.0.0/33").unwrap_err();
    assert!(error.to_string().contains("10.0.0.0/8"), "{error}");
}
