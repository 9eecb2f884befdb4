//! OpenAPI 3.1 documents, generated from an API's route table: every operation's parameters,
//! request body and answers come from the Rust types the handlers read and write (their
//! `schemars` schemas, collected under `components/schemas`), so the code and the document cannot
//! drift. Error answers are the one error shape, listed with the statuses each route can give.

use serde_json::{Map, Value, json};

use crate::error::ErrorBody;
use crate::routes::{Answer, RouteDoc};

/// What a document says about its API as a whole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiInfo {
    pub(crate) title: &'static str,
    pub(crate) description: &'static str,
}

fn generator() -> schemars::SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator()
}

/// The schema of a path parameter, by its name.
fn path_parameter(name: &str) -> Value {
    match name {
        "number" => json!({"type": "integer", "minimum": 1, "description": "a revision number"}),
        "action" => json!({"type": "string", "enum": ["start", "stop", "restart", "drain"]}),
        "instance_action" => json!({"type": "string", "enum": ["start", "stop", "reboot"]}),
        "id" => json!({"type": "string", "description": "a customer id, a bulk run id or a token id"}),
        "name" => json!({"type": "string", "description": "a secret's or a user's name"}),
        _ => json!({"type": "string"}),
    }
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The OpenAPI document of `routes`.
pub(crate) fn document(info: ApiInfo, routes: &[RouteDoc]) -> Value {
    let mut generator = generator();
    generator.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for route in routes {
        let operation = operation(&mut generator, route);
        paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object")
            .insert(route.method.to_owned(), operation);
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {"title": info.title, "version": env!("CARGO_PKG_VERSION"), "description": info.description},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        }
    })
}

fn operation(generator: &mut schemars::SchemaGenerator, route: &RouteDoc) -> Value {
    let path_names: Vec<&str> =
        route.path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}')).collect();
    let mut parameters: Vec<Value> = path_names
        .iter()
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_parameter(name)}))
        .collect();
    if let Some(query) = route.query {
        let schema = query(generator).to_value();
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                let mut parameter = json!({"name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": property});
                if let Some(description) = property.get("description") {
                    parameter["description"] = description.clone();
                }
                parameters.push(parameter);
            }
        }
    }
    for header in route.headers {
        parameters.push(header_parameter(header));
    }
    let mut responses = Map::new();
    let success = match route.answer {
        Answer::Json(schema) => {
            json!({"description": "success", "content": {"application/json": {"schema": schema(generator)}}})
        }
        Answer::Empty => json!({"description": "done"}),
        Answer::Text => json!({"description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}}}),
        Answer::Events(events) => {
            let payloads: Map<String, Value> = events
                .iter()
                .map(|(name, schema)| ((*name).to_owned(), schema(generator).to_value()))
                .collect();
            json!({
                "description": "server-sent events; each event's `event:` names it and its `data:` is the JSON of `x-events[name]`",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
                "x-events": payloads,
            })
        }
    };
    let mut success = success;
    if route.etag {
        success["headers"] = json!({"ETag": {"description": "`\"r<number>\"`: send it back as `If-Match`",
            "schema": {"type": "string", "pattern": "^\"r[0-9]+\"$"}}});
    }
    for status in route.statuses() {
        responses.insert(status.to_string(), success.clone());
    }
    if route.headers.contains(&"If-Match") {
        responses.insert(
            "412".into(),
            error_response("the If-Match revision is no longer the latest: nothing changed"),
        );
    }
    let takes_input = route.body.is_some() || route.query.is_some();
    if takes_input {
        responses.insert("400".into(), error_response("a malformed body or query string"));
    }
    if takes_input || !path_names.is_empty() {
        responses
            .insert("422".into(), error_response("a value refused by a rule (the error lists every issue)"));
    }
    if route.role.is_some() {
        responses.insert("401".into(), error_response("no valid token"));
        responses.insert("403".into(), error_response("the token's role is below the route's"));
    }
    if !path_names.is_empty() {
        responses.insert("404".into(), error_response("no such customer, revision, run, user or token"));
    }
    responses.insert(
        "default".into(),
        error_response(
            "an error: conflict (409), too many requests (429), unavailable (503), \
             insufficient storage (507: a full disk, kind `unavailable`), internal (500)",
        ),
    );
    let mut operation = json!({
        "operationId": operation_id(route),
        "summary": route.summary,
        "parameters": parameters,
        "x-role": route.role.map(|role| role.as_str()),
        "responses": responses,
    });
    if route.role.is_some() {
        operation["security"] = json!([{"bearer": []}]);
    }
    if let Some(body) = route.body {
        operation["requestBody"] = json!({
            "required": !body.optional,
            "content": {"application/json": {"schema": (body.schema)(generator)}}
        });
    }
    operation
}

fn header_parameter(name: &str) -> Value {
    let (description, schema) = match name {
        "If-Match" => (
            "the ETag of the revision this change is made on top of (`\"r0\"`: the customer has none yet); refused with 412 when it is no longer the latest",
            json!({"type": "string", "pattern": "^(\\*|\"r[0-9]+\")$"}),
        ),
        "Idempotency-Key" => (
            "any unique string (a UUID): a repeated request with the same key from the same caller within 24 hours answers the first one's result instead of starting again",
            json!({"type": "string", "minLength": 1, "maxLength": 200}),
        ),
        "X-Voicefleet-Operation" => (
            "the operation id of a control request (`RUN/TARGET/ATTEMPT/REQUEST` from a bulk run): the host acts once per id and answers a repeat within 10 minutes with the first answer (marked `X-Voicefleet-Operation-Replayed: true`); the same id for another request is refused",
            json!({"type": "string", "minLength": 1, "maxLength": 200}),
        ),
        _ => ("", json!({"type": "string"})),
    };
    json!({"name": name, "in": "header", "required": false, "description": description, "schema": schema})
}

/// `get_v1_customers__id_` style: unique, stable, from the method and path.
fn operation_id(route: &RouteDoc) -> String {
    format!("{}{}", route.method, route.path.replace(['/', '{', '}', '.'], "_"))
}
