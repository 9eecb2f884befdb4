//! Both OpenAPI documents: generated from the route tables and the Rust types, snapshotted, and
//! specific: every body, parameter, answer and event has a real schema (no `{}`), and each
//! operation lists the success status it really gives.

use serde_json::Value;
use voicefleet_http::routes::{Answer, RouteDoc};

/// Every place a schema stands that says nothing at all (`{}` or `true`), by JSON pointer.
fn empty_schemas(value: &Value, pointer: String, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{pointer}/{key}");
                // `additionalProperties: true` is a typed object whose values may be anything.
                let is_schema_slot = matches!(key.as_str(), "schema" | "items")
                    || pointer.ends_with("/properties")
                    || pointer.ends_with("/x-events")
                    || pointer.ends_with("/components/schemas");
                let says_nothing =
                    child == &Value::Bool(true) || child.as_object().is_some_and(|m| m.is_empty());
                if is_schema_slot && says_nothing {
                    found.push(here.clone());
                }
                empty_schemas(child, here, found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                empty_schemas(item, format!("{pointer}/{index}"), found);
            }
        }
        _ => {}
    }
}

fn check(document: &Value, routes: &[RouteDoc]) {
    assert_eq!(document["openapi"], "3.1.0");
    let mut empty = Vec::new();
    empty_schemas(document, String::new(), &mut empty);
    assert!(empty.is_empty(), "schemas that say nothing: {empty:#?}");
    for route in routes {
        let operation = &document["paths"][route.path][route.method];
        assert!(operation.is_object(), "{} {} is documented", route.method, route.path);
        let responses = operation["responses"].as_object().unwrap();
        let successes: Vec<&String> = responses.keys().filter(|code| code.starts_with('2')).collect();
        assert_eq!(successes, [&route.status.to_string()], "{} {}", route.method, route.path);
        assert!(responses.contains_key("default"), "{} {}: the error shape", route.method, route.path);
        match route.answer {
            Answer::Json(_) => assert!(
                responses[&route.status.to_string()]["content"]["application/json"]["schema"].is_object(),
                "{} {}",
                route.method,
                route.path
            ),
            Answer::Events(events) => {
                let documented = responses["200"]["x-events"].as_object().unwrap();
                assert_eq!(documented.len(), events.len(), "{} {}", route.method, route.path);
            }
            Answer::Empty | Answer::Text => {}
        }
        assert_eq!(
            operation["requestBody"].is_object(),
            route.body.is_some(),
            "{} {}",
            route.method,
            route.path
        );
        if route.role.is_some() {
            assert!(responses.contains_key("401") && responses.contains_key("403"));
        }
    }
    // Every error kind is in the error enum.
    let kinds = &document["components"]["schemas"]["ErrorDetail"]["properties"]["kind"]["enum"];
    assert_eq!(kinds.as_array().unwrap().len(), 7, "{kinds}");
}

#[test]
fn the_console_document_is_specific_and_snapshotted() {
    let document = voicefleet_http::console::openapi_document();
    check(&document, voicefleet_http::console::ROUTES);
    insta::assert_json_snapshot!("console_openapi", document);
}

#[test]
fn the_host_document_is_specific_and_snapshotted() {
    let document = voicefleet_http::host::openapi_document();
    check(&document, voicefleet_http::host::ROUTES);
    insta::assert_json_snapshot!("host_openapi", document);
}
