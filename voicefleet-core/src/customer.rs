//! Customers: who a voice agent belongs to and where its host agent answers.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A customer id: a lower-case slug of 1 to 63 characters from `[a-z0-9-]`, not starting or
/// ending with `-` (it doubles as a DNS label and a JWT audience).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomerId(String);

impl CustomerId {
    /// Checks `text` as a customer id: 1-63 lower-case letters, digits and `-`, not starting or
    /// ending with `-` (`acme-dental`). Invalid input otherwise.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = |reason| Error::InvalidCustomerId { id: text.to_owned(), reason };
        if text.is_empty() {
            return Err(invalid("it is empty"));
        }
        if text.len() > 63 {
            return Err(invalid("it is longer than 63 characters"));
        }
        if !text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(invalid("only lower-case letters, digits and '-' are allowed"));
        }
        if text.starts_with('-') || text.ends_with('-') {
            return Err(invalid("it must not start or end with '-'"));
        }
        if crate::auth::RESERVED_NAMES.contains(&text) {
            return Err(invalid("it is reserved: the console's tokens carry it"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CustomerId {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

/// Parses a `key=value` tag. Keys are 1 to 63 of `[a-z0-9_.-]`; values at most 255 printable
/// characters (possibly empty).
pub fn parse_tag(text: &str) -> Result<(String, String)> {
    let invalid = |reason| Error::InvalidTag { tag: text.to_owned(), reason };
    let (key, value) = text.split_once('=').ok_or_else(|| invalid("it has no '='"))?;
    if key.is_empty() || key.len() > 63 {
        return Err(invalid("the key must be 1 to 63 characters"));
    }
    if !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)) {
        return Err(invalid("the key may hold only a-z, 0-9, '_', '.' and '-'"));
    }
    if value.chars().count() > 255 || value.chars().any(char::is_control) {
        return Err(invalid("the value must be at most 255 printable characters"));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// One customer of the operator, served by one host agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Its id.
    pub id: CustomerId,
    /// Free text shown to people.
    pub name: String,
    /// `key=value` labels used by selectors (`tier=prod`).
    pub tags: BTreeMap<String, String>,
    /// Base URL of the customer's host agent (`https://10.0.1.17:8000`).
    pub endpoint: url::Url,
}

impl Customer {
    /// Builds a customer, validating every part.
    pub fn new(id: &str, name: &str, endpoint: &str, tags: &[&str]) -> Result<Self> {
        let id = CustomerId::parse(id)?;
        let endpoint = parse_endpoint(endpoint)?;
        let tags = tags.iter().map(|tag| parse_tag(tag)).collect::<Result<BTreeMap<_, _>>>()?;
        let name = if name.trim().is_empty() { id.to_string() } else { name.trim().to_owned() };
        Ok(Self { id, name, tags, endpoint })
    }
}

/// Parses a host agent base URL: http or https, a host, no credentials, query or fragment.
pub fn parse_endpoint(text: &str) -> Result<url::Url> {
    let invalid = |reason: String| Error::InvalidEndpoint { endpoint: text.to_owned(), reason };
    let url = url::Url::parse(text).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("the scheme must be http or https, not {}", url.scheme())));
    }
    if !crate::transport::is_secure_url(&url) {
        return Err(invalid(
            "the console sends tokens and secrets to it: use https (plain http only to a loopback host)"
                .to_owned(),
        ));
    }
    if url.host().is_none() {
        return Err(invalid("it has no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials do not belong in the URL".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment".to_owned()));
    }
    Ok(url)
}

/// The known customer id closest to a misspelt one (`acme-dentl` → `acme-dental`), for "did you
/// mean" hints; `None` when none is close.
pub fn closest_id<'a>(input: &str, ids: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    crate::config::validate::suggestions::did_you_mean(input, ids)
}
