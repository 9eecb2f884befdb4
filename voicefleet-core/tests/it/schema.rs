//! The generated JSON Schema, snapshotted so a change to the document shape shows in review.

use voicefleet_core::config::json_schema;

#[test]
fn json_schema_snapshot() {
    let schema = json_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    insta::assert_json_snapshot!("config_json_schema", schema);
}

#[test]
fn schema_has_no_null_allowances() {
    let text = json_schema().to_string();
    assert!(!text.contains("\"null\""), "optional fields are absent, never null");
}
