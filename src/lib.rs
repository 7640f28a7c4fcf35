//! tokctl: personal access tokens with a proper life. README.md is the user's manual and
//! docs/FORMAT.md specifies every file format tokctl writes.
//!
//! The data flows one way: argv → `cli` (clap types) → a command in `commands` → the core
//! (`access`, `unlock`, `select`, `project`, `vault`, `keystore`, `journal`, `fsio`, `crypto`) →
//! back to the command, which talks to the user through `ui`. Nothing below `commands` prints
//! or reads a terminal.
#![deny(unsafe_code)]

pub(crate) mod access;
pub(crate) mod cache;
#[allow(unsafe_code)]
pub(crate) mod child;
pub mod cli;
pub(crate) mod commands;
pub mod complete;
pub(crate) mod crypto;
pub mod dotenv;
pub mod error;
pub(crate) mod formats;
pub(crate) mod fsio;
pub(crate) mod http;
pub(crate) mod input;
pub(crate) mod journal;
pub(crate) mod keystore;
pub mod manpages;
pub(crate) mod mask;
pub mod os;
pub mod project;
#[cfg(test)]
mod props;
pub(crate) mod provider;
pub(crate) mod remote;
pub(crate) mod scan;
pub mod secret;
pub(crate) mod select;
pub(crate) mod settings;
pub mod text;
pub(crate) mod ui;
/// How `main` prints the error that ended a command.
pub use ui::print_error;
pub(crate) mod unlock;
pub mod vault;
pub mod when;
// Bundles sealed to age and SSH recipients (issue 22).
pub(crate) mod recipients;

use cli::Cli;
use commands::Ctx;
use error::Result;

/// Run a parsed command line; the `u8` is the exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let ui = ui::Ui::new(cli.quiet, cli.color);
    // Every variable read and checked before anything is opened; completion and man pages
    // need none of them, so a bad one never keeps a user from those.
    let settings = match cli.command {
        cli::Command::Completion(_) | cli::Command::Man(_) => settings::get(),
        _ => settings::install(settings::Settings::from_env()?),
    };
    let explicit = cli.vault.filter(|p| !p.as_os_str().is_empty());
    // The nearest project file. A broken one matters only once something uses it, unless it
    // may be what chooses the vault.
    let project = std::env::current_dir().map_err(anyhow::Error::from).and_then(|cwd| project::find(&cwd));
    let (project, project_error) = match project {
        Ok(p) => (p, None),
        Err(e)
            if explicit.is_some()
                || matches!(
                    cli.command,
                    cli::Command::Trust(_)
                        | cli::Command::Completion(_)
                        | cli::Command::Man(_)
                        | cli::Command::Credential(_)
                ) =>
        {
            (None, Some(e))
        }
        Err(e) => return Err(e),
    };
    // --vault / TOKCTL_VAULT, else the project file's vault (its [ci] one in CI), else the default.
    let project_vault = project.as_ref().and_then(|p| p.vault_now()).filter(|_| explicit.is_none());
    let (vault, default_path) = match (explicit, &project_vault) {
        (Some(p), _) => (p, false),
        (None, Some(p)) => (p.clone(), false),
        (None, None) => (access::default_vault_path()?, true),
    };
    let ctx = Ctx {
        vault,
        default_path,
        from_project: project_vault.is_some(),
        project,
        project_error: std::cell::RefCell::new(project_error),
        ui,
        settings,
    };
    commands::run(&ctx, cli.command)
}
