//! The HTTP side of the live key check: [`HttpKeyProbe`] sends core's probe requests
//! (`voicefleet_core::keycheck`) to the providers. It logs nothing: the requests carry keys.

use std::time::Duration;

use voicefleet_core::keycheck::{KeyProbe, ProbeOutcome, ProbeRequest};

/// Sends key-check requests with its own client (no cookies, no redirects: a provider that
/// redirects a key check is not answering it).
#[derive(Debug, Clone)]
pub struct HttpKeyProbe {
    client: reqwest::Client,
}

impl HttpKeyProbe {
    pub fn new() -> voicefleet_core::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("voicefleet/", env!("CARGO_PKG_VERSION"), " key-check"))
            .build()
            .map_err(|e| voicefleet_core::Error::Internal {
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self { client })
    }
}

#[async_trait::async_trait]
impl KeyProbe for HttpKeyProbe {
    async fn get(&self, request: &ProbeRequest) -> ProbeOutcome {
        let mut builder = self.client.get(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some((user, password)) = &request.basic_auth {
            builder = builder.basic_auth(user, Some(password));
        }
        match builder.send().await {
            Ok(response) => ProbeOutcome::Status(response.status().as_u16()),
            // The error's text names the URL, never a header.
            Err(error) if error.is_builder() => ProbeOutcome::Unsendable(
                "the stored value cannot be sent in an HTTP header (a line break or control character in it?)"
                    .into(),
            ),
            Err(error) if error.is_timeout() => {
                ProbeOutcome::Failed("the provider did not answer in time".into())
            }
            Err(error) if error.is_connect() => {
                ProbeOutcome::Failed(format!("cannot connect to {}", host_of(&request.url)))
            }
            Err(error) => ProbeOutcome::Failed(format!("request failed: {}", error.without_url())),
        }
    }
}

/// `scheme://host:port` of a URL, for messages.
fn host_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..].find('/').map(|i| after_scheme + i).unwrap_or(url.len());
    &url[..end]
}
