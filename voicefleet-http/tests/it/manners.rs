//! API manners the web team relies on, on a live console: `ETag`/`If-Match` on revisions (412
//! when stale), `Idempotency-Key` on bulk runs (a double click starts one run), cursor pages.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TestConsole;

async fn admin_token(console: &TestConsole) -> String {
    let login: Value = reqwest::Client::new()
        .post(format!("{}/v1/auth/login", console.url))
        .json(&json!({"name": "admin", "password": console.admin_password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_carry_etags_and_a_stale_if_match_is_refused_with_412() {
    let mut console = TestConsole::start().await;
    let token = admin_token(&console).await;
    let http = reqwest::Client::new();
    let base = format!("{}/v1/customers", console.url);
    let created = http
        .post(&base)
        .bearer_auth(&token)
        .json(&json!({"id": "acme", "endpoint": crate::down_endpoint()}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        let set = http
            .put(format!("{base}/acme/secrets/{name}"))
            .bearer_auth(&token)
            .json(&json!({"value": "sk-test-value-0123456789"}))
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), StatusCode::NO_CONTENT);
    }
    let list = http.get(format!("{base}/acme/revisions")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(list.headers()["etag"], "\"r0\"");
    let document = voicefleet_core::config::template("default").unwrap().into_value();
    let create = |if_match: &'static str, temperature: f64| {
        let mut document = document.clone();
        document["agent_settings"]["llm"]["temperature"] = json!(temperature);
        http.post(format!("{base}/acme/revisions"))
            .bearer_auth(&token)
            .header("if-match", if_match)
            .json(&json!({"kind": "full", "document": document, "message": "m"}))
            .send()
    };
    let first = create("\"r0\"", 0.3).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED, "{:?}", first.text().await);
    let first = create("\"r1\"", 0.4).await.unwrap();
    assert_eq!((first.status(), first.headers()["etag"].to_str().unwrap()), (StatusCode::CREATED, "\"r2\""));
    // Someone else's change came in between: refused, nothing written, the body says why.
    let stale = create("\"r1\"", 0.5).await.unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains("latest revision is 2"), "{body}");
    let list = http.get(format!("{base}/acme/revisions")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(list.headers()["etag"], "\"r2\"");
    let page: Value = list.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    // Without If-Match the change is unconditional; a malformed one is a 400.
    assert_eq!(create("*", 0.6).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(create("r3", 0.6).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let one = http.get(format!("{base}/acme/revisions/1")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(one.headers()["etag"], "\"r1\"");
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_starts_one_bulk_run_and_lists_come_in_pages() {
    let mut console = TestConsole::start().await;
    let token = admin_token(&console).await;
    let http = reqwest::Client::new();
    for id in ["a1", "a2", "a3"] {
        let created = http
            .post(format!("{}/v1/customers", console.url))
            .bearer_auth(&token)
            .json(&json!({"id": id, "endpoint": crate::down_endpoint(), "tags": ["tier=test"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let spec = json!({"action": {"kind": "restart"}, "selector": {"kind": "tags", "tags": {"tier": "test"}},
                      "max_concurrency": {"count": 1}, "max_errors": {"count": 3}});
    let start = |key: &'static str, spec: Value| {
        http.post(format!("{}/v1/bulk", console.url))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&spec)
            .send()
    };
    // A double click: two requests at once with one key.
    let (first, second) = tokio::join!(start("click-1", spec.clone()), start("click-1", spec.clone()));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!((first.status(), second.status()), (StatusCode::CREATED, StatusCode::CREATED));
    let replayed: Vec<String> = [&first, &second]
        .iter()
        .map(|r| r.headers()["idempotent-replayed"].to_str().unwrap().to_owned())
        .collect();
    let mut sorted = replayed.clone();
    sorted.sort();
    assert_eq!(sorted, ["false", "true"]);
    let (first, second): (Value, Value) = (first.json().await.unwrap(), second.json().await.unwrap());
    assert_eq!(first["id"], second["id"]);
    // The same key for another request is refused; a new key starts a second run.
    let mut other = spec.clone();
    other["max_errors"] = json!({"count": 1});
    assert_eq!(start("click-1", other).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(start("click-2", spec.clone()).await.unwrap().status(), StatusCode::CREATED);
    let runs: Value = http
        .get(format!("{}/v1/bulk", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(runs["items"].as_array().unwrap().len(), 2, "{runs}");
    // Pages: two customers a page, then the rest; the last page has no cursor.
    let page = |cursor: Option<String>| {
        let mut url = format!("{}/v1/customers?limit=2", console.url);
        if let Some(cursor) = cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        http.get(url).bearer_auth(&token).send()
    };
    let one: Value = page(None).await.unwrap().json().await.unwrap();
    assert_eq!(one["items"].as_array().unwrap().len(), 2);
    let next = one["next_cursor"].as_str().unwrap().to_owned();
    let two: Value = page(Some(next)).await.unwrap().json().await.unwrap();
    assert_eq!((two["items"].as_array().unwrap().len(), &two["next_cursor"]), (1, &Value::Null));
    console.stop().await;
}
