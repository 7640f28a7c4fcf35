//! The subcommands, one module each with a `run`: the layer between the command line and the
//! core. Commands take the parsed arguments, call the core (`access`, `select`, `vault`…) and
//! talk to the user only through `ui`. `Ctx` is what every command gets from the global options.

use std::cell::RefCell;
use std::path::PathBuf;

use crate::access::Access;
use crate::cli::{Command, KeyCommand};
use crate::error::Result;
use crate::keystore;
use crate::project::{self, ProjectFile};
use crate::ui::Shown;
use crate::ui::{self, Ui};
use crate::vault::Record;
use crate::when;

mod bundle;
mod cache;
mod completion;
mod create;
mod credential;
mod docker;
mod doctor;
pub(crate) mod env;
mod exec;
mod get;
mod import;
mod init;
pub(crate) mod inject;
mod inspect;
mod issuer;
mod key;
mod list;
mod log;
mod man;
mod redact;
mod regenerate;
mod remote;
mod remove;
mod report;
mod rollback;
mod rotate_at;
mod scan;
mod trust;
mod update;
mod verify;

/// What every command needs from the global options and the project file.
pub struct Ctx {
    pub vault: PathBuf,
    /// True when the path is the default one in the user's data directory.
    pub default_path: bool,
    /// True when the project file chose the vault.
    pub from_project: bool,
    /// The nearest `.tokctl.toml`, parsed (nothing of it is used before it is allowed).
    pub project: Option<ProjectFile>,
    /// Why the nearest project file could not be read, when the vault did not depend on it.
    pub project_error: RefCell<Option<anyhow::Error>>,
    pub ui: Ui,
    /// Every environment variable tokctl obeys, read and checked once at start.
    pub settings: &'static crate::settings::Settings,
}

impl Ctx {
    /// A note on stderr, unless `--quiet`.
    pub fn say(&self, msg: impl AsRef<str>) {
        self.ui.say(msg);
    }

    /// How this command asks a person (a passphrase): the terminal, when there is one.
    pub fn person(&self) -> &'static dyn crate::unlock::Prompter {
        &ui::Terminal
    }

    /// This command's way into its vault; a passphrase is asked on the terminal when needed.
    pub fn access(&self) -> Result<Access<'static>> {
        self.access_using_project(false)
    }

    /// `access`, when the command also acts on the project file's `[env]`. A project file is
    /// acted on (its vault, its `[env]`) only when it is trusted, or exempt: the vault that
    /// applies lies inside its tree and `TOKCTL_VAULT_KEY` alone unlocks it.
    pub fn access_using_project(&self, uses_env: bool) -> Result<Access<'static>> {
        if let Some(pf) = self.project.as_ref().filter(|_| uses_env || self.from_project) {
            project::require_usable(pf)?;
            // The path that was checked is the one opened.
            if let Some(inside) = pf.exempts(&self.vault) {
                return Access::env_key_only(&inside);
            }
            if let Err(e) = project::require_trust(pf) {
                // In CI, a committed bundle inside the tree needs no trust, only its key: when
                // the key is what is missing, say that, not "trust it".
                if project::in_ci() && pf.holds(&self.vault).is_some() {
                    return Err(crate::error::locked(format!(
                        "{} is not set: the vault {} that {} names for CI opens with it alone",
                        keystore::ENV_KEY,
                        self.vault.shown(),
                        pf.shown()
                    ))
                    .hint(format!("set {} in this job's secrets to the key `tokctl bundle` printed", keystore::ENV_KEY))
                    .into());
                }
                return Err(e);
            }
        }
        Access::new(&self.vault, self.default_path, self.person())
    }

    /// The project file, or why it could not be read.
    pub fn project(&self) -> Result<Option<&ProjectFile>> {
        if let Some(e) = self.project_error.borrow_mut().take() {
            return Err(e);
        }
        Ok(self.project.as_ref())
    }

    /// Say how a vault that `write_or_create` just made keeps its key.
    pub fn report_created(&self, acc: &Access) {
        if let Some(how) = acc.created() {
            self.say(format!("created a new vault at {} ({how})", self.vault.shown()));
        }
    }
}

/// Run one subcommand; the `u8` is the process exit status on success.
pub fn run(ctx: &Ctx, command: Command) -> Result<u8> {
    if crate::remote::is_url(&ctx.vault) {
        remote::refuse_file_only(&command)?;
    }
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
        Command::Inspect(a) => inspect::run(ctx, a),
        Command::Delete(a) => remove::delete(ctx, a),
        Command::Verify(a) => verify::run(ctx, a),
        Command::Exec(a) => exec::run(ctx, a),
        Command::Env(a) => env::run(ctx, a),
        Command::Bundle(a) => bundle::run(ctx, a),
        Command::Log(a) => log::run(ctx, a),
        Command::Copy(a) => remote::copy(ctx, a),
        Command::Login(a) => remote::login(ctx, a),
        Command::Logout(a) => remote::logout(ctx, a),
        Command::Doctor(a) => doctor::run(ctx, a),
        Command::Trust(a) => trust::run(ctx, a),
        Command::AcceptRollback => rollback::accept(ctx),
        Command::Unlock(a) => cache::unlock(ctx, a),
        Command::Lock(a) => cache::lock(ctx, a),
        Command::Completion(a) => completion::run(a),
        Command::Man(a) => man::run(ctx, a),
        Command::Key(KeyCommand::Export) => key::export(ctx),
        Command::Key(KeyCommand::Rotate) => key::rotate(ctx),
        Command::Key(KeyCommand::Passphrase) => key::passphrase(ctx),
        Command::Key(KeyCommand::Import) => key::import(ctx),
        Command::Scan(a) => scan::run(ctx, a),
        Command::Redact => redact::run(ctx),
        Command::Inject(a) => inject::run(ctx, a),
        Command::Credential(a) => credential::run(ctx, &a.helper, &a.action),
    }
}

/// Say once on stderr when a token in use is due within 7 days, or due for rotation.
pub fn warn_if_due(ctx: &Ctx, r: &Record, now: i64) {
    if let Some(t) = r.expires_at
        && t > now
        && t - now <= 7 * 86_400
    {
        ctx.say(format!("token '{}' expires {} ({})", r.name, when::relative(t, now), when::rfc3339(t)));
    }
    if r.rotation_due(now) {
        ctx.say(rotation_words(r, now));
    }
}

/// A token unused this long is worth revoking (SPEC; `doctor --unused D` changes it).
pub const UNUSED_AFTER: i64 = 90 * 86_400;

/// Since when a token has sat idle: its last use, or when its current secret was set if that
/// is later (a token regenerated or replaced today is not idle).
pub fn idle_since(r: &Record, last_used: Option<i64>) -> i64 {
    last_used.unwrap_or(i64::MIN).max(r.secret_set_at)
}

/// "token 'x' is due for rotation: …", with what to run for this kind of token.
pub fn rotation_words(r: &Record, now: i64) -> String {
    let every = r.rotate_every.map(when::span_words).unwrap_or_default();
    let how = match r.kind {
        crate::vault::Kind::Minted => format!("`tokctl regenerate {}`", r.name),
        crate::vault::Kind::Imported => {
            format!("issue a new one at its provider, then `tokctl import {} --replace`", r.name)
        }
    };
    format!(
        "token '{}' is due for rotation: its secret was set {} and is to be rotated every {every}; {how}",
        r.name,
        when::relative(r.secret_set_at, now)
    )
}

/// `--host` and `--username` of create and import, checked: the hosts in their written form.
pub(crate) fn git_meta(meta: &mut crate::vault::Meta, m: &crate::cli::MetaArgs) -> Result<()> {
    let mut hosts = m.hosts.iter().map(|h| crate::vault::check_host(h)).collect::<Result<Vec<_>>>()?;
    hosts.sort();
    hosts.dedup();
    meta.hosts = hosts;
    if let Some(u) = &m.username {
        crate::vault::check_username(u)?;
        meta.username = Some(u.clone());
    }
    Ok(())
}
