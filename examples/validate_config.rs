//! Validate a configuration document with the library and print every issue.
//!
//! ```text
//! cargo run -p voicefleet-examples --example validate_config -- path/to/config.json
//! ```
//! Without an argument it edits the built-in default template instead.

use voicefleet_core::config::{ConfigDocument, template};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut document = match std::env::args().nth(1) {
        Some(path) => ConfigDocument::parse(&std::fs::read_to_string(path)?)?,
        None => template("default")?,
    };
    if let Err(refused) = document.set("agent_settings.llm.temperature", serde_json::json!(3.5)) {
        println!("refused as expected: {refused}");
    }
    let validation = document.validate();
    for issue in &validation.issues {
        println!("{}: {}: {} [{}]", issue.severity.as_str(), issue.path, issue.message, issue.code);
    }
    println!("valid: {}, hash: {}", validation.is_valid(), document.content_hash());
    Ok(())
}
