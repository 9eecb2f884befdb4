//! The console's OpenAPI 3.1 document, generated from the route table [`super::ROUTES`].

use axum::Json;
use serde_json::{Value, json};

use super::ROUTES;

/// The OpenAPI 3.1 document, generated from [`ROUTES`].
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if route.path == "/v1/status" {
            parameters.push(json!({"name": "fresh", "in": "query", "schema": {"type": "boolean"}, "description": "poll the hosts now"}));
        }
        if route.method == "get" && (route.path.ends_with("/customers") || route.path == "/v1/status") {
            parameters.push(json!({"name": "selector", "in": "query", "schema": {"type": "string"}, "description": "all, k=v,k2=v2 (tags) or a,b (ids)"}));
            parameters.push(json!({"name": "cursor", "in": "query", "schema": {"type": "string"}}));
            parameters.push(json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}));
        }
        let mut operation = json!({
            "summary": route.summary,
            "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}', '.'], "_")),
            "parameters": parameters,
            "x-role": route.role.map(|r| r.as_str()),
            "responses": {
                "200": {"description": "success", "content": {"application/json": {"schema": {}}}},
                "201": {"description": "created", "content": {"application/json": {"schema": {}}}},
                "204": {"description": "done"},
                "default": {"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if route.role.is_some() {
            operation["security"] = json!([{"bearer": []}]);
        }
        if let Some(body) = route.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "title": body}}}});
        }
        paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object")
            .insert(route.method.to_owned(), operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "voicefleet console API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Every route but health, login and this document needs `Authorization: Bearer <token>`; `x-role` is the least role it needs (viewer < operator < admin)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["kind", "message"],
                "properties": {"kind": {"type": "string", "enum": crate::error::kind_names()},
                               "message": {"type": "string"}, "hint": {"type": "string"}, "issues": {"type": "array"}, "request_id": {"type": "string"}}}}}}
        }
    })
}

pub(crate) async fn serve() -> Json<Value> {
    Json(openapi_document())
}
