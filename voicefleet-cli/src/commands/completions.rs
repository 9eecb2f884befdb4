//! `voicefleet completions SHELL`: clap's static script, and for bash, zsh and fish, customer ids
//! completed live (from `voicefleet __complete-customers`, the current console's customers)
//! wherever a command's first argument is a customer. Each shell gets a small wrapper around
//! clap's function: at a customer's place it offers the ids, anywhere else clap answers. (clap's
//! own dynamic completion, `clap_complete::CompleteEnv`, is still unstable and replaces the whole
//! script, so the wrappers stay small and ours.)

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
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "voicefleet", &mut script);
    let mut script = String::from_utf8(script)?;
    if shell == clap_complete::Shell::Zsh {
        // clap's script ends by registering (or, loaded from fpath, calling) its own function;
        // ours does that with the wrapper instead.
        if let Some(end) = script.find(ZSH_CLAP_TAIL) {
            script.truncate(end);
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(script.as_bytes())?;
    let mut paths = Vec::new();
    customer_commands(&Cli::command(), "", &mut paths);
    match shell {
        clap_complete::Shell::Bash => writeln!(out, "{}", bash(&paths))?,
        clap_complete::Shell::Zsh => writeln!(out, "{}", zsh(&paths))?,
        clap_complete::Shell::Fish => writeln!(out, "{}", fish(&paths))?,
        _ => {}
    }
    Ok(())
}

fn bash(paths: &[String]) -> String {
    let cases = paths.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join("|");
    format!(
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
    )
}

/// Where clap's zsh script starts registering its function.
const ZSH_CLAP_TAIL: &str = "if [ \"$funcstack[1]\" = \"_voicefleet\" ]; then";

fn zsh(paths: &[String]) -> String {
    let cases = paths.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join("|");
    format!(
        r#"
# Customer ids, completed live from the console this shell uses.
_voicefleet_with_customers() {{
    local -a before
    local word
    for word in "${{(@)words[2,CURRENT-1]}}"; do
        [[ $word == -* ]] || before+=("$word")
    done
    if [[ $PREFIX != -* ]]; then
        case "${{before[*]}}" in
            {cases})
                local -a ids
                ids=("${{(@f)$(voicefleet __complete-customers 2>/dev/null)}}")
                ids=("${{(@)ids:#}}")
                if (( ${{#ids}} )); then
                    compadd -- "${{(@)ids}}" && return 0
                fi
                ;;
        esac
    fi
    _voicefleet "$@"
}}
if [ "$funcstack[1]" = "_voicefleet" ]; then
    _voicefleet_with_customers "$@"
else
    compdef _voicefleet_with_customers voicefleet
fi"#
    )
}

fn fish(paths: &[String]) -> String {
    let cases = paths.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(" ");
    format!(
        r#"
# Customer ids, completed live from the console this shell uses.
function __voicefleet_wants_customer
    set -l before
    for word in (commandline -opc)[2..-1]
        string match -q -- '-*' $word; or set -a before $word
    end
    contains -- "$before" {cases}
end
complete -c voicefleet -f -n '__voicefleet_wants_customer' -a '(voicefleet __complete-customers 2>/dev/null)' -d customer"#
    )
}
