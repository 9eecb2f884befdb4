//! Starting-point documents: `default` plus one per common provider combination.

use crate::error::{Error, Result};

use super::ConfigDocument;

const TEMPLATES: [(&str, &str); 4] = [
    ("default", include_str!("templates/default.json")),
    ("openai-deepgram-elevenlabs", include_str!("templates/openai-deepgram-elevenlabs.json")),
    ("anthropic-assemblyai-cartesia", include_str!("templates/anthropic-assemblyai-cartesia.json")),
    ("groq-deepgram-deepgram", include_str!("templates/groq-deepgram-deepgram.json")),
];

/// The names of the built-in templates, `default` first.
pub fn template_names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(name, _)| *name).collect()
}

/// The built-in template called `name`.
pub fn template(name: &str) -> Result<ConfigDocument> {
    let (_, text) = TEMPLATES
        .iter()
        .find(|(candidate, _)| *candidate == name)
        .ok_or_else(|| Error::UnknownTemplate { name: name.to_owned() })?;
    ConfigDocument::parse(text)
}
