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

/// Says `what` and what it loses, then requires `expected` (a customer's name) typed back: at
/// the prompt on a terminal, else as `given` (`--confirm NAME`). A mismatch changes nothing.
pub(crate) fn confirm_by_name(
    what: &str,
    loss: &str,
    expected: &str,
    given: Option<&str>,
) -> anyhow::Result<()> {
    let typed = match given {
        Some(given) => given.to_owned(),
        None => {
            eprintln!("{what}: {loss}");
            if !std::io::stdin().is_terminal() {
                return Err(Refusal::new(
                    ErrorKind::InvalidInput,
                    format!("refusing to {what} without its name typed to confirm; nothing changed"),
                    format!("add --confirm {expected:?} once you are sure"),
                )
                .into());
            }
            eprint!("type {expected:?} to confirm: ");
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer)?;
            answer.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if typed.trim() == expected.trim() {
        Ok(())
    } else {
        Err(Refusal::new(
            ErrorKind::Conflict,
            format!("{typed:?} is not {expected:?}; nothing changed"),
            "type the customer's name exactly as `voicefleet customers show` prints it",
        )
        .into())
    }
}
