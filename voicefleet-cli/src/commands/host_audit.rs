//! A host's audit file on the terminal, the same from both ends: `voicefleet audit host
//! CUSTOMER` (through the console) and `voicefleet host audit` (on the host, break-glass).

use std::process::ExitCode;

use voicefleet_core::host_audit::{HostAuditPage, HostAuditVerification};

use crate::output::{OutputFormat, escape_control, print_json, table, timestamp};

/// Prints a page; `next` is the command line that reads on, said when the page is full.
pub(crate) fn print_page(
    page: &HostAuditPage,
    limit: u32,
    output: OutputFormat,
    next: &str,
) -> anyhow::Result<()> {
    if output == OutputFormat::Json {
        return print_json(page);
    }
    let rows: Vec<Vec<String>> = page
        .entries
        .iter()
        .map(|entry| {
            vec![
                entry.seq.to_string(),
                timestamp(entry.at_ms),
                escape_control(&entry.actor),
                escape_control(&entry.action),
                escape_control(&entry.target),
                format!("{} {}", entry.outcome, entry.status),
                escape_control(&entry.request_id),
            ]
        })
        .collect();
    print!("{}", table(&["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "REQUEST"], &rows));
    if page.entries.is_empty() {
        eprintln!("no entries after this sequence number");
    } else if page.entries.len() as u64 >= u64::from(limit) {
        eprintln!("more after {}: {next} --after {}", page.next_after, page.next_after);
    }
    Ok(())
}

/// Prints a verification; exit 1 when the chain is broken.
pub(crate) fn print_verification(
    verification: &HostAuditVerification,
    output: OutputFormat,
) -> anyhow::Result<ExitCode> {
    if output == OutputFormat::Json {
        print_json(verification)?;
    } else if verification.intact {
        println!(
            "intact: entries {} to {} ({} checked), head {}",
            verification.first_seq, verification.last_seq, verification.entries, verification.last_hash
        );
    } else {
        let count = verification.problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        println!("broken: {count} {noun} in {} entries", verification.entries);
        for problem in &verification.problems {
            println!("  {}", escape_control(problem));
        }
    }
    Ok(if verification.intact { ExitCode::SUCCESS } else { ExitCode::from(crate::exit::FAILURE) })
}
