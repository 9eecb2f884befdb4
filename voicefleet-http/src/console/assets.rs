//! The web console: the built bundle of `voicefleet-http/web/` (its `dist/`, committed, so a
//! machine without Node builds a console that serves it), embedded in the binary and served at
//! `/` as the console router's fallback.
//!
//! Hashed files under `assets/` are cached for a year; `index.html` is revalidated every time.
//! Every answer carries a `Content-Security-Policy` without `'unsafe-inline'` for scripts. A path
//! that is no file is a client route and answers `index.html` (the SPA fallback), except the API's
//! own namespaces: `/v1/...` and `/metrics` keep answering the JSON 404 the API always gave.
//!
//! `web/dist.sha256` records a hash of the sources the bundle was built from; a test here fails
//! when the sources changed without a rebuild (`npm run build` in `web/`).

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};
use voicefleet_core::ErrorKind;

use crate::error::ApiError;

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web/dist");
/// The page, through `include_str!` so cargo rebuilds when the bundle changes (it names every
/// hashed asset, directly or through the entry script); `include_dir!` alone is not tracked.
const INDEX_HTML: &str = include_str!("../../web/dist/index.html");

/// Scripts only from the console itself (no inline script, no `eval`); styles may be inline
/// attributes (the chart library sets them), nothing may frame the console.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The router's fallback: a file of the bundle, `index.html` for a client route, or the API's
/// JSON 404 for anything under `/v1` or `/metrics` and for methods other than GET and HEAD.
pub(crate) async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if is_api_path(path) || !(method == Method::GET || method == Method::HEAD) {
        return not_found();
    }
    let relative = path.trim_start_matches('/');
    if let Some(file) = DIST.get_file(relative).filter(|_| !relative.is_empty()) {
        let cache = if relative.starts_with("assets/") { IMMUTABLE } else { REVALIDATE };
        return file_response(relative, file.contents(), cache);
    }
    // A missing hashed asset is a real 404: answering the page instead would hide a stale tab.
    if relative.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, secure_headers(), "no such asset").into_response();
    }
    file_response("index.html", INDEX_HTML.as_bytes(), REVALIDATE)
}

fn is_api_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/") || path == "/metrics" || path.starts_with("/metrics/")
}

fn not_found() -> Response {
    ApiError::new(ErrorKind::NotFound, "no such route").with_hint("see GET /v1/openapi.json").into_response()
}

fn secure_headers() -> [(header::HeaderName, HeaderValue); 3] {
    [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ]
}

fn file_response(path: &str, contents: &'static [u8], cache: &'static str) -> Response {
    (
        StatusCode::OK,
        secure_headers(),
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        contents,
    )
        .into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use sha2::{Digest, Sha256};

    use super::*;

    /// The same hash as `web/scripts/source-hash.mjs`: for every source file, sorted by its path
    /// relative to `web/`, the line `path NUL sha256(contents)`.
    fn source_hash(web: &Path) -> String {
        fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("readable web sources") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    walk(&path, files);
                } else {
                    files.push(path);
                }
            }
        }
        let mut files = Vec::new();
        for root in ["src", "public"] {
            if web.join(root).is_dir() {
                walk(&web.join(root), &mut files);
            }
        }
        for single in [
            "index.html",
            "package.json",
            "package-lock.json",
            "vite.config.ts",
            "tsconfig.json",
            "openapi.json",
        ] {
            files.push(web.join(single));
        }
        let mut relative: Vec<(String, PathBuf)> = files
            .into_iter()
            .map(|path| {
                let name = path.strip_prefix(web).expect("under web/").to_string_lossy().replace('\\', "/");
                (name, path)
            })
            .filter(|(name, _)| !name.contains(".test."))
            .collect();
        relative.sort();
        let mut all = Sha256::new();
        for (name, path) in relative {
            let contents = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let digest = Sha256::digest(&contents);
            let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
            all.update(format!("{name}\0{hex}\n").as_bytes());
        }
        all.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
    }

    #[test]
    fn the_embedded_bundle_is_built_from_the_current_sources() {
        let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let recorded = std::fs::read_to_string(web.join("dist.sha256")).expect("web/dist.sha256");
        assert_eq!(
            recorded.trim(),
            source_hash(&web),
            "web/dist is stale: the web console's sources changed since it was built; run `npm ci && npm run \
             build` in voicefleet-http/web and commit dist/ and dist.sha256"
        );
        assert_eq!(DIST.get_file("index.html").map(|file| file.contents()), Some(INDEX_HTML.as_bytes()));
    }

    #[test]
    fn api_paths_are_never_the_page() {
        for path in ["/v1", "/v1/", "/v1/nope", "/metrics", "/metrics/x"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/", "/customers/acme", "/v10", "/metricsx", "/assets/index.js"] {
            assert!(!is_api_path(path), "{path}");
        }
        assert_eq!(content_type("assets/index-abc.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    }
}
