//! The JSON Schema (draft 2020-12) of the document, generated from the typed model.

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::model::VoiceAgentConfig;

/// The JSON Schema of a configuration document, generated from [`VoiceAgentConfig`]. The
/// validator walks this same schema, so the two cannot disagree; rules between fields (provider
/// ranges, telephony requirements) are documented in `config-schema.md` and enforced on top.
pub fn json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let generator = SchemaSettings::draft2020_12().into_generator();
        let schema = generator.into_root_schema_for::<VoiceAgentConfig>();
        let mut schema = serde_json::to_value(schema).expect("a generated schema serializes");
        forbid_null(&mut schema);
        schema
    })
}

/// Optional fields are written by leaving them out, never as `null`: schemars allows `null` for
/// every `Option`, so take it back out.
fn forbid_null(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|json_type| json_type != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(choices)) = map.get("anyOf") {
        let not_null: Vec<Value> = choices
            .iter()
            .filter(|choice| choice.get("type") != Some(&Value::from("null")))
            .cloned()
            .collect();
        if not_null.len() == 1 {
            map.remove("anyOf");
            if let Value::Object(only) = &not_null[0] {
                for (key, value) in only {
                    map.insert(key.clone(), value.clone());
                }
            }
        }
    }
    for value in map.values_mut() {
        match value {
            Value::Object(_) => forbid_null(value),
            Value::Array(items) => items.iter_mut().for_each(forbid_null),
            _ => {}
        }
    }
}
