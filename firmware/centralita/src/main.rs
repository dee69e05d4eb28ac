//! `centralita`: the PBX daemon and its admin commands.
//!
//! This binary is the only I/O shell of the firmware: sockets, clock, RNG, signals and threads live
//! here; the SIP, media and call logic are sans-IO crates driven by [`engine`].
// Tests may unwrap (team rule); production code may not (workspace lint).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod admin;
mod app_effects;
mod config;
mod engine;
mod mail;
mod phone_prompt;
mod prompt_cmd;
mod resolver;
mod route_cmd;
mod rtp_relay;
mod run;
mod snapshot;
mod snapshot_media;
mod status;
mod tcp;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "centralita", version, about = "Centralita PBX firmware")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the PBX.
    Run(config::RunArgs),
    /// Apply a tenant document (JSON) atomically: all or nothing.
    Import {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        file: PathBuf,
    },
    /// Print a tenant's document (JSON) on stdout.
    Export {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        tenant: u32,
    },
    /// Show which route rule a call to a DID would match, and why earlier rules did not.
    Route {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        did: String,
        /// The caller's number.
        #[arg(long, default_value = "")]
        from: String,
        /// Local time in the tenant's time zone, YYYY-MM-DDTHH:MM (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Show the running daemon's registrations, trunk registration state and active calls.
    Status {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Prompts (locuciones): add an audio file (WAV, MP3, OGG, FLAC) to a tenant, or list them.
    Prompt(prompt_cmd::PromptArgs),
    /// Music on hold: add a tenant's own track, or list them.
    Moh(prompt_cmd::PromptArgs),
    /// Print the latest call detail records as JSON lines, newest first.
    Cdr {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Delete the CDR with this id (see the `id` field) and its recording instead.
        #[arg(long)]
        delete: Option<i64>,
    },
}

fn main() {
    // Errors are for people: one line with the cause chain, exit code 1, no backtrace.
    if let Err(e) = real_main() {
        eprintln!("centralita: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,symphonia=warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: journald and log files get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Import { data, file } => admin::import(&data, &file),
        Command::Export { data, tenant } => admin::export(&data, tenant),
        Command::Cdr {
            data,
            delete: Some(id),
            ..
        } => admin::cdr_delete(&data, id),
        Command::Cdr { data, limit, .. } => admin::cdr(&data, limit),
        Command::Status { data } => status::print(&data),
        Command::Prompt(args) => prompt_cmd::run(args),
        Command::Moh(args) => prompt_cmd::run_moh(args),
        Command::Route {
            data,
            did,
            from,
            at,
        } => route_cmd::route(&data, &did, &from, at.as_deref()),
    }
}
