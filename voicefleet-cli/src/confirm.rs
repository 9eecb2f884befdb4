//! Confirming what cannot be undone: on a terminal the operator answers; anywhere else `--yes`
//! is required. Either way the operator is told first what will be lost.

use std::io::IsTerminal as _;

use voicefleet_core::ErrorKind;

use crate::exit::Refusal;

/// Says `what` and what it loses on standard error, then asks (on a terminal) or requires
/// `yes` (off one). A refusal changes nothing.
pub(crate) fn confirm(what: &str, loss: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    eprintln!("{what}: {loss}");
    if !std::io::stdin().is_terminal() {
        return Err(Refusal::new(
            ErrorKind::InvalidInput,
            format!("refusing to {what} without --yes (standard input is not a terminal); nothing changed"),
            "add --yes once you are sure",
        )
        .into());
    }
    eprint!("proceed? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Refusal::new(ErrorKind::Conflict, "not confirmed; nothing changed", "").into())
    }
}
