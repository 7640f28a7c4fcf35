//! The subcommands, one module each with a `run`: the layer between the command line and the
//! core. Commands take the parsed arguments, call the core (`access`, `select`, `vault`…) and
//! talk to the user only through `ui`. `Ctx` is what every command gets from the global options.

use std::path::PathBuf;

use crate::access::Access;
use crate::cli::{Command, KeyCommand};
use crate::error::Result;
use crate::ui::{self, Ui};
use crate::vault::Record;
use crate::when;

mod bundle;
mod create;
mod doctor;
pub(crate) mod env;
mod exec;
mod get;
mod import;
mod init;
mod key;
mod list;
mod log;
mod regenerate;
mod remove;
mod update;
mod verify;

/// What every command needs from the global options.
pub struct Ctx {
    pub vault: PathBuf,
    /// True when the path is the default one in the user's data directory.
    pub default_path: bool,
    pub ui: Ui,
}

impl Ctx {
    /// A note on stderr, unless `--quiet`.
    pub fn say(&self, msg: impl AsRef<str>) {
        self.ui.say(msg);
    }

    /// This command's way into its vault; a passphrase is asked on the terminal when needed.
    pub fn access(&self) -> Result<Access<'static>> {
        Access::new(&self.vault, self.default_path, &ui::Terminal)
    }

    /// Say how a vault that `write_or_create` just made keeps its key.
    pub fn report_created(&self, acc: &Access) {
        if let Some(how) = &acc.created {
            self.say(format!("created a new vault at {} ({how})", self.vault.display()));
        }
    }
}

/// Run one subcommand; the `u8` is the process exit status on success.
pub fn run(ctx: &Ctx, command: Command) -> Result<u8> {
    match command {
        Command::Init => init::run(ctx),
        Command::Create(a) => create::run(ctx, a),
        Command::Import(a) => import::run(ctx, a),
        Command::List(a) => list::list(ctx, a),
        Command::Show(a) => list::show(ctx, a),
        Command::Get(a) => get::run(ctx, a),
        Command::Update(a) => update::run(ctx, a),
        Command::Regenerate(a) => regenerate::run(ctx, a),
        Command::Revoke(a) => remove::revoke(ctx, a),
        Command::Delete(a) => remove::delete(ctx, a),
        Command::Verify(a) => verify::run(ctx, a),
        Command::Exec(a) => exec::run(ctx, a),
        Command::Env(a) => env::run(ctx, a),
        Command::Bundle(a) => bundle::run(ctx, a),
        Command::Log(a) => log::run(ctx, a),
        Command::Doctor(a) => doctor::run(ctx, a),
        Command::Key(KeyCommand::Export) => key::export(ctx),
        Command::Key(KeyCommand::Rotate) => key::rotate(ctx),
        Command::Key(KeyCommand::Passphrase) => key::passphrase(ctx),
        Command::Key(KeyCommand::Import) => key::import(ctx),
    }
}

/// Say once on stderr when a token in use is due within 7 days.
pub fn warn_if_due(ctx: &Ctx, r: &Record, now: i64) {
    if let Some(t) = r.expires_at
        && t > now
        && t - now <= 7 * 86_400
    {
        ctx.say(format!("token '{}' expires {} ({})", r.name, when::relative(t, now), when::rfc3339(t)));
    }
}
