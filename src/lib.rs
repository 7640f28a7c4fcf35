//! tokctl: personal access tokens with a proper life. README.md is the user's manual.
//!
//! The data flows one way: argv → `cli` (clap types) → a command in `commands` → the core
//! (`access`, `unlock`, `select`, `vault`, `keystore`, `journal`, `fsio`, `crypto`) → back to
//! the command, which talks to the user through `ui`. Nothing below `commands` prints or reads
//! a terminal.
#![deny(unsafe_code)]

pub mod access;
pub mod cli;
pub mod commands;
pub mod complete;
pub mod crypto;
pub mod dotenv;
pub mod error;
#[allow(unsafe_code)]
pub mod exec;
pub mod formats;
pub mod fsio;
pub mod input;
pub mod journal;
pub mod keystore;
pub mod mask;
pub mod os;
#[cfg(test)]
mod props;
pub mod secret;
pub mod select;
pub mod ui;
pub mod unlock;
pub mod vault;
pub mod when;

use cli::Cli;
use commands::Ctx;
use error::Result;

/// Run a parsed command line; the `u8` is the exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let (vault, default_path) = match cli.vault {
        Some(p) if !p.as_os_str().is_empty() => (p, false),
        _ => (access::default_vault_path()?, true),
    };
    let ctx = Ctx { vault, default_path, ui: ui::Ui::new(cli.quiet, cli.color) };
    commands::run(&ctx, cli.command)
}
