//! tokctl: personal access tokens with a proper life. See README.md for the user's manual and
//! docs/FORMAT.md for every file format tokctl writes.
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
pub mod journal;
pub mod keystore;
pub mod mask;
pub mod os;
#[cfg(test)]
mod props;
pub mod secret;
pub mod select;
pub mod vault;
pub mod when;

use std::io::IsTerminal;

use access::Ctx;
use cli::{Cli, ColorWhen};
use error::Result;

/// Run a parsed command line; the `u8` is the exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let (vault, default_path) = match cli.vault {
        Some(p) if !p.as_os_str().is_empty() => (p, false),
        _ => (access::default_vault_path()?, true),
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match cli.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            !no_color && std::io::stdout().is_terminal() && std::env::var("TERM").as_deref() != Ok("dumb")
        }
    };
    let ctx = Ctx { vault, default_path, quiet: cli.quiet, color };
    commands::run(&ctx, cli.command)
}
