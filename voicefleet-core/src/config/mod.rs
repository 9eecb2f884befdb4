//! Per-customer voice-agent configuration: parsing with limits, validation, dot-path editing,
//! secrets, templates, the JSON Schema, diff and content hash.
//!
//! A [`ConfigDocument`] keeps the JSON exactly as written (key order, `extensions`, unknown keys
//! included) so that editing it never loses anything; [`ConfigDocument::typed`] gives the typed
//! [`VoiceAgentConfig`] with defaults filled in once the document is valid.

mod diff;
mod load;
pub(crate) mod model;
mod path;
mod schema;
mod secrets;
mod templates;
pub(crate) mod validate;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

pub use diff::Change;
pub use load::{MAX_DEPTH, MAX_DOCUMENT_BYTES};
pub use model::*;
pub use path::{DotPath, PathSegment, parse_value_text};
pub use schema::json_schema;
pub use secrets::{
    REDACTED, SecretReference, is_secret_env_name, is_secret_field, is_valid_secret_name,
    providers_using_secret, secret_format_warning,
};
pub use templates::{template, template_names};

/// How bad an [`Issue`] is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The document is refused.
    Error,
    /// The document is accepted; the issue is shown.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found by validation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Issue {
    /// Dot path of the offending value (`telephony.numbers[1]`).
    pub path: String,
    /// A stable machine-readable code (`out_of_range`, `unknown_key`, `secret_literal`, ...).
    pub code: String,
    /// An error refuses the document; a warning does not.
    pub severity: Severity,
    /// A sentence for people, lower case, no trailing period.
    pub message: String,
}

/// `error: runtime.command: must not be empty` (`(document)` when the path is empty).
impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() { "(document)" } else { &self.path };
        write!(f, "{}: {path}: {}", self.severity, self.message)
    }
}

/// Options for [`ConfigDocument::validate_with`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// The names of the secrets the customer has; when given, every `secret://NAME` reference must
    /// name one of them.
    pub secret_names: Option<BTreeSet<String>>,
}

impl ValidateOptions {
    /// Validation against these secret names: every `secret://NAME` must name one of them.
    pub fn with_secrets<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self { secret_names: Some(names.into_iter().map(Into::into).collect()) }
    }
}

/// The outcome of validation: every issue, errors first, each group in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Validation {
    /// Every issue; empty for a document with nothing to say.
    pub issues: Vec<Issue>,
}

impl Validation {
    /// True when there is no error (warnings never block).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The issues that refuse the document.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|issue| issue.severity == Severity::Error)
    }

    /// The issues that do not refuse the document.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|issue| issue.severity == Severity::Warning)
    }

    /// Names `customer` in the fix of each missing secret (the validator alone cannot).
    pub fn for_customer(mut self, customer: &str) -> Validation {
        validate::name_customer_in(&mut self.issues, customer);
        self
    }

    /// `Ok(self)` when valid, else [`Error::InvalidConfig`] with the error issues.
    pub fn into_result(self) -> Result<Validation> {
        if self.is_valid() {
            Ok(self)
        } else {
            Err(Error::InvalidConfig {
                issues: self.issues.into_iter().filter(|i| i.severity == Severity::Error).collect(),
            })
        }
    }
}

/// One edit of a patch: set or remove the value at a dot path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PatchOperation {
    /// Sets the value at `path`, creating the objects on the way.
    Set {
        /// Where, as a dot path (`agent_settings.llm.temperature`, `telephony.numbers[0]`).
        path: String,
        /// The new value: any JSON value the path's rules accept.
        value: Value,
    },
    /// Removes the value at `path` (a field then takes its default).
    Unset {
        /// Where, as a dot path.
        path: String,
    },
}

/// A configuration document as written, with validation and editing on top.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDocument {
    root: serde_json::Map<String, Value>,
}

impl ConfigDocument {
    /// Parses JSON text, enforcing the size and depth limits before parsing completes. Malformed
    /// JSON is reported with its line and column. The result is not yet validated.
    pub fn parse(text: &str) -> Result<Self> {
        load::parse(text).map(|root| Self { root })
    }

    /// Wraps an already parsed value; it must be an object within the depth limit.
    pub fn from_value(value: Value) -> Result<Self> {
        load::check_value(&value)?;
        match value {
            Value::Object(root) => Ok(Self { root }),
            other => Err(Error::NotAnObject { found: load::json_type_name(&other) }),
        }
    }

    /// The document as JSON.
    pub fn as_value(&self) -> Value {
        Value::Object(self.root.clone())
    }

    /// Consumes the document into its JSON value.
    pub fn into_value(self) -> Value {
        Value::Object(self.root)
    }

    /// Pretty JSON text with a trailing newline, keys in the order they were written.
    /// Not redacted: use [`ConfigDocument::redacted`] for anything shown to people.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.root).expect("a JSON map serializes");
        text.push('\n');
        text
    }

    /// Every issue in the document.
    pub fn validate(&self) -> Validation {
        self.validate_with(&ValidateOptions::default())
    }

    /// Every issue in the document, with extra checks from `options`.
    pub fn validate_with(&self, options: &ValidateOptions) -> Validation {
        validate::validate(&self.root, options)
    }

    /// The typed configuration with defaults filled in; refused with every error when invalid.
    pub fn typed(&self) -> Result<VoiceAgentConfig> {
        self.validate().into_result()?;
        serde_json::from_value(self.as_value()).map_err(|error| Error::InvalidConfig {
            issues: vec![Issue {
                path: String::new(),
                code: "invalid_document".to_owned(),
                severity: Severity::Error,
                message: error.to_string(),
            }],
        })
    }

    /// The value at a dot path (`agent_settings.llm.temperature`, `telephony.numbers[0]`).
    pub fn get(&self, path: &str) -> Result<&Value> {
        path::get(&self.root, &DotPath::parse(path)?)
    }

    /// Sets the value at a dot path, creating missing objects on the way. Refused, leaving the
    /// document as it was, when the change adds a validation error; returns the issues that remain.
    pub fn set(&mut self, path: &str, value: Value) -> Result<Validation> {
        self.set_with(path, value, &ValidateOptions::default())
    }

    /// [`ConfigDocument::set`] with validation options (for example the customer's secret names).
    pub fn set_with(&mut self, path: &str, value: Value, options: &ValidateOptions) -> Result<Validation> {
        let path = DotPath::parse(path)?;
        self.edit(options, |root| path::set(root, &path, value))
    }

    /// Removes the value at a dot path. Refused, leaving the document as it was, when the removal
    /// adds a validation error (for example a required field).
    pub fn unset(&mut self, path: &str) -> Result<Validation> {
        let path = DotPath::parse(path)?;
        self.edit(&ValidateOptions::default(), |root| path::unset(root, &path).map(drop))
    }

    /// Applies several dot-path operations as one change: they are applied in order to a copy,
    /// which is validated once at the end (intermediate states may be invalid). Refused, leaving
    /// the document as it was, when the result adds a validation error.
    pub fn apply_operations(
        &mut self,
        operations: &[PatchOperation],
        options: &ValidateOptions,
    ) -> Result<Validation> {
        let parsed = operations
            .iter()
            .map(|operation| match operation {
                PatchOperation::Set { path, value } => Ok((DotPath::parse(path)?, Some(value.clone()))),
                PatchOperation::Unset { path } => Ok((DotPath::parse(path)?, None)),
            })
            .collect::<Result<Vec<_>>>()?;
        self.edit(options, |root| {
            for (path, value) in parsed {
                match value {
                    Some(value) => path::set(root, &path, value)?,
                    None => drop(path::unset(root, &path)?),
                }
            }
            Ok(())
        })
    }

    /// Applies `change` to a copy, validates it, and keeps it only when it adds no error.
    fn edit(
        &mut self,
        options: &ValidateOptions,
        change: impl FnOnce(&mut serde_json::Map<String, Value>) -> Result<()>,
    ) -> Result<Validation> {
        let before: BTreeSet<(String, String)> = self
            .validate_with(options)
            .errors()
            .map(|issue| (issue.path.clone(), issue.code.clone()))
            .collect();
        let mut candidate = self.root.clone();
        change(&mut candidate)?;
        load::check_value_map(&candidate)?;
        let after = validate::validate(&candidate, options);
        let added: Vec<Issue> = after
            .errors()
            .filter(|issue| !before.contains(&(issue.path.clone(), issue.code.clone())))
            .cloned()
            .collect();
        if !added.is_empty() {
            return Err(Error::InvalidConfig { issues: added });
        }
        self.root = candidate;
        Ok(after)
    }

    /// Every `secret://NAME` reference in the document (outside `extensions`), by name.
    pub fn secret_references(&self) -> BTreeSet<String> {
        secrets::references(&self.root)
    }

    /// The document with every literal secret replaced by [`REDACTED`]: the view for printing.
    pub fn redacted(&self) -> Value {
        secrets::redact(&self.as_value())
    }

    /// Changed paths from `self` to `other`, secrets redacted on both sides.
    pub fn diff(&self, other: &ConfigDocument) -> Vec<Change> {
        diff::diff(&self.redacted(), &other.redacted())
    }

    /// `sha256:<hex>` of the canonical JSON (keys sorted, no whitespace): equal documents get equal
    /// hashes whatever their key order or formatting.
    pub fn content_hash(&self) -> String {
        diff::content_hash(&self.as_value())
    }
}
