//! Customer ids, tags and endpoints.

use voicefleet_core::ErrorKind;
use voicefleet_core::customer::{Customer, CustomerId, parse_endpoint, parse_tag};

#[test]
fn customer_ids() {
    for good in ["a", "acme", "acme-dental", "a1-b2", &"x".repeat(63), "0"] {
        assert_eq!(CustomerId::parse(good).unwrap().as_str(), good);
    }
    for (bad, fragment) in [
        ("", "empty"),
        (&"x".repeat(64) as &str, "longer than 63"),
        ("Acme", "lower-case"),
        ("acme_dental", "lower-case"),
        ("acme dental", "lower-case"),
        ("-acme", "start or end"),
        ("acme-", "start or end"),
        ("acmé", "lower-case"),
    ] {
        let error = CustomerId::parse(bad).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(error.to_string().contains(fragment), "{bad}: {error}");
        assert!(error.hint().unwrap().contains("acme-dental"));
    }
}

#[test]
fn tags() {
    assert_eq!(parse_tag("tier=prod").unwrap(), ("tier".into(), "prod".into()));
    assert_eq!(parse_tag("region=us-east-1").unwrap(), ("region".into(), "us-east-1".into()));
    assert_eq!(parse_tag("note=").unwrap(), ("note".into(), String::new()));
    assert_eq!(parse_tag("k=a=b").unwrap(), ("k".into(), "a=b".into()));
    for bad in ["tier", "=prod", "Tier=prod", "t ier=x", "k=line\nbreak"] {
        assert_eq!(parse_tag(bad).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad}");
    }
}

#[test]
fn endpoints_and_customers() {
    assert!(parse_endpoint("https://10.0.1.17:8000").is_ok());
    assert!(parse_endpoint("http://127.0.0.1:8001/").is_ok());
    for bad in ["10.0.1.17:8000", "ftp://h", "https://user:pw@h", "https://h/?q=1", "not a url"] {
        assert_eq!(parse_endpoint(bad).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad}");
    }
    let customer =
        Customer::new("acme", " Acme Dental ", "https://10.0.0.5:8000", &["tier=prod", "region=eu"]).unwrap();
    assert_eq!(customer.name, "Acme Dental");
    assert_eq!(customer.tags.get("tier").map(String::as_str), Some("prod"));
    assert_eq!(Customer::new("acme", "", "https://h", &[]).unwrap().name, "acme");
    assert!(Customer::new("Bad", "x", "https://h", &[]).is_err());
}

#[test]
fn names_that_tokens_carry_are_reserved() {
    let error = voicefleet_core::customer::CustomerId::parse("voicefleet-console").unwrap_err();
    assert!(error.to_string().contains("voicefleet-console"), "{error}");
    assert!(voicefleet_core::customer::CustomerId::parse("voicefleet-console-2").is_ok());
}
