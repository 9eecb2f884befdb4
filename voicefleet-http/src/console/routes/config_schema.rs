//! `GET /v1/config/schema`: the configuration document's JSON Schema (draft 2020-12), the one the
//! validator walks, for editors (the web console's completion and field descriptions).

use axum::Json;

use crate::console::wire::ConfigSchema;

pub(crate) async fn schema() -> Json<ConfigSchema> {
    Json(ConfigSchema(voicefleet_core::config::json_schema().clone()))
}
