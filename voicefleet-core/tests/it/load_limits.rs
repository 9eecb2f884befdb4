//! Parsing: malformed JSON by line and column, and the limits enforced before parsing completes.

use voicefleet_core::config::{ConfigDocument, MAX_DEPTH, MAX_DOCUMENT_BYTES};
use voicefleet_core::{Error, ErrorKind};

fn check(text: &str, expected: &str) {
    let error = ConfigDocument::parse(text).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{text:.60}");
    assert!(error.hint().is_some(), "every load error has a hint: {error}");
    let message = error.to_string();
    assert!(message.contains(expected), "{message:?} should contain {expected:?}");
}

fn nested(depth: usize) -> String {
    format!("{{\"extensions\": {}1{}}}", "[".repeat(depth - 1), "]".repeat(depth - 1))
}

#[test]
fn malformed_json_reports_line_and_column() {
    check("{\n  \"version\": 1,\n  \"runtime\": {,}\n}", "line 3, column 15");
    check("{\"version\": 1", "line 1, column 13");
    check("", "line 1, column 0");
    check("{\"a\": 1} trailing", "line 1, column 10");
    check("{\"a\": tru}", "line 1, column 10");
}

#[test]
fn root_must_be_an_object() {
    check("[]", "root is an array");
    check("1", "root is a number");
    check("\"x\"", "root is a string");
    check("null", "root is null");
}

#[test]
fn oversized_documents_are_refused_before_parsing() {
    // Over the limit and not even valid JSON: the size check comes first.
    let text = format!("{{\"extensions\": \"{}", "x".repeat(MAX_DOCUMENT_BYTES));
    let error = ConfigDocument::parse(&text).unwrap_err();
    assert!(matches!(error, Error::DocumentTooLarge { .. }), "{error}");
    // Just under the limit parses.
    let filler = "x".repeat(MAX_DOCUMENT_BYTES - 100);
    assert!(ConfigDocument::parse(&format!("{{\"extensions\": {{\"f\": \"{filler}\"}}}}")).is_ok());
}

#[test]
fn deep_documents_are_refused_before_parsing() {
    assert!(ConfigDocument::parse(&nested(MAX_DEPTH)).is_ok());
    check(&nested(MAX_DEPTH + 1), "deeper than 32 levels");
    // Far deeper than serde_json's own recursion limit, and unterminated: still the depth error.
    let error = ConfigDocument::parse(&"[".repeat(100_000)).unwrap_err();
    assert!(matches!(error, Error::DocumentTooDeep { .. }), "{error}");
    // Brackets inside strings do not count, escaped quotes included.
    let text = format!("{{\"extensions\": {{\"s\": \"{}\\\"{}\"}}}}", "[".repeat(100), "{".repeat(100));
    assert!(ConfigDocument::parse(&text).is_ok());
}

#[test]
fn values_built_in_memory_obey_the_limits() {
    let mut value = serde_json::json!(1);
    for _ in 0..MAX_DEPTH {
        value = serde_json::json!([value]);
    }
    let error = ConfigDocument::from_value(serde_json::json!({"extensions": value})).unwrap_err();
    assert!(matches!(error, Error::DocumentTooDeep { .. }));
    let error = ConfigDocument::from_value(serde_json::json!([1])).unwrap_err();
    assert!(matches!(error, Error::NotAnObject { .. }));
}
