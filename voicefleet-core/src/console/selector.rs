//! Which customers an operation targets: ids, tags (`tier=prod,region=us-east-1`), or all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, parse_tag};
use crate::error::{Error, Result};

/// A target selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selector {
    /// Every customer.
    All,
    /// These customers, by id.
    Ids {
        /// The customer ids.
        ids: Vec<String>,
    },
    /// Customers carrying every one of these tags.
    Tags {
        /// Tags, key to value: a customer must carry all of them.
        tags: BTreeMap<String, String>,
    },
}

impl Selector {
    /// Parses `all`, `tier=prod,region=us-east-1` (tags: all must match) or `acme,globex` (ids).
    pub fn parse(text: &str) -> Result<Selector> {
        let text = text.trim();
        if text.is_empty() || text == "all" {
            return Ok(Selector::All);
        }
        let parts: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        if parts.iter().all(|part| part.contains('=')) {
            let tags = parts.iter().map(|part| parse_tag(part)).collect::<Result<BTreeMap<_, _>>>()?;
            return Ok(Selector::Tags { tags });
        }
        if parts.iter().any(|part| part.contains('=')) {
            return Err(Error::InvalidTag {
                tag: text.to_owned(),
                reason: "a selector is either all tags (k=v,...) or all customer ids (a,b,...)",
            });
        }
        let ids = parts
            .iter()
            .map(|part| CustomerId::parse(part).map(|id| id.to_string()))
            .collect::<Result<_>>()?;
        Ok(Selector::Ids { ids })
    }

    /// True when a customer with `id` and `tags` is selected.
    pub fn matches(&self, id: &str, tags: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::All => true,
            Selector::Ids { ids } => ids.iter().any(|candidate| candidate == id),
            Selector::Tags { tags: wanted } => wanted.iter().all(|(key, value)| tags.get(key) == Some(value)),
        }
    }
}
