//! Editing and validating a voice agent's configuration document with the library: start from a
//! template, change values by path, read the issues, and see a refused change leave the document
//! as it was.
//!
//! ```text
//! cargo run -p voicefleet-examples --example embed_config
//! ```

use serde_json::json;
use voicefleet_core::prelude::*;

fn main() -> Result<()> {
    // A complete document from the built-in template, edited by dotted paths.
    let mut document = template("default")?;
    document.set("agent_settings.llm.temperature", json!(0.3))?;
    document.set("runtime.drain_timeout_seconds", json!(120))?;
    println!("llm.temperature = {}", document.get("agent_settings.llm.temperature")?);

    // A change that would make the document invalid is refused; the document is unchanged.
    match document.set("agent_settings.llm.temperature", json!(5)) {
        Ok(_) => return Err(Error::Internal { message: "a temperature of 5 was accepted".to_owned() }),
        Err(refused) => println!("refused: {refused}"),
    }
    assert_eq!(document.get("agent_settings.llm.temperature")?, 0.3);

    // Validation lists every issue (errors and warnings), each with its path and code.
    let validation = document.validate();
    for issue in &validation.issues {
        println!("{issue}");
    }
    println!("valid: {}; content hash {}", validation.is_valid(), document.content_hash());

    // The document round-trips through JSON, as it is stored and sent.
    let text = document.to_json_pretty();
    let again = ConfigDocument::parse(&text)?;
    assert_eq!(again.content_hash(), document.content_hash());
    Ok(())
}
