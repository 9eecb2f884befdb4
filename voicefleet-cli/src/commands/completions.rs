//! `voicefleet completions SHELL`: clap's static script, and for bash, customer ids completed
//! live (from `voicefleet __complete-customers`, the current console's customers) wherever a
//! command's first argument is a customer.

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::cli::Cli;

/// Every command path (`agent restart`) whose first positional argument is a customer id (or a
/// customer id or file, as `config get TARGET`).
fn customer_commands(command: &clap::Command, path: &str, found: &mut Vec<String>) {
    let first = command.get_positionals().next().map(|arg| arg.get_id().as_str().to_owned());
    let takes_customer = match first.as_deref() {
        Some("customer" | "target") => true,
        Some("id") => path.starts_with("customers "),
        _ => false,
    };
    if takes_customer && !path.is_empty() {
        found.push(path.to_owned());
    }
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        if name != "help" && !sub.is_hide_set() {
            let path = if path.is_empty() { name.to_owned() } else { format!("{path} {name}") };
            customer_commands(sub, &path, found);
        }
    }
}

pub(crate) fn print(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "voicefleet", &mut out);
    if shell != clap_complete::Shell::Bash {
        return Ok(());
    }
    let mut paths = Vec::new();
    customer_commands(&Cli::command(), "", &mut paths);
    let cases = paths.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join("|");
    writeln!(
        out,
        r#"
# Customer ids, completed live from the console this shell uses.
_voicefleet_with_customers() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" word words=()
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        [[ $word == -* ]] || words+=("$word")
    done
    if [[ $cur != -* ]]; then
        case "${{words[*]}}" in
            {cases})
                COMPREPLY=($(compgen -W "$(voicefleet __complete-customers 2>/dev/null)" -- "$cur"))
                [[ ${{#COMPREPLY[@]}} -gt 0 ]] && return 0
                ;;
        esac
    fi
    _voicefleet "$@"
}}
complete -F _voicefleet_with_customers -o nosort -o bashdefault -o default voicefleet"#
    )?;
    Ok(())
}
