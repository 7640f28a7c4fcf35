//! One module per subcommand, each with a `run`. Shared pieces live here.

use std::io::{self, IsTerminal, Read, Write};

use crate::access::Ctx;
use crate::cli::{Command, KeyCommand};
use crate::error::{self, Result};
use crate::secret::Secret;
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

pub const MAX_SECRET: usize = 64 * 1024;

/// Check a secret's bytes: UTF-8, not empty, at most 64 KiB, one trailing newline stripped.
pub fn secret_from_bytes(mut raw: Vec<u8>, what: &str) -> Result<Secret> {
    if raw.len() > MAX_SECRET + 2 {
        zeroize::Zeroize::zeroize(&mut raw);
        return Err(error::usage(format!("{what} is over 64 KiB"))
            .hint("a token is a line of text; check what is being piped in")
            .into());
    }
    if raw.ends_with(b"\r\n") {
        raw.truncate(raw.len() - 2);
    } else if raw.ends_with(b"\n") {
        raw.truncate(raw.len() - 1);
    }
    if raw.len() > MAX_SECRET {
        zeroize::Zeroize::zeroize(&mut raw);
        return Err(error::usage(format!("{what} is over 64 KiB"))
            .hint("a token is a line of text; check what is being piped in")
            .into());
    }
    if raw.is_empty() {
        return Err(error::usage(format!("{what} is empty"))
            .hint("pipe the token in, e.g. `pbpaste | tokctl import NAME`")
            .into());
    }
    match String::from_utf8(raw) {
        Ok(s) => Ok(Secret::new(s)),
        Err(e) => {
            let mut b = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut b);
            Err(error::usage(format!("{what} is not UTF-8 text"))
                .hint("a token is a line of text; check what is being piped in")
                .into())
        }
    }
}

/// Read a secret from stdin, or from a no-echo prompt when stdin is a terminal.
pub fn read_secret(prompt: &str) -> Result<Secret> {
    if io::stdin().is_terminal() {
        let p = crate::keystore::prompt(prompt)?;
        return secret_from_bytes(p.as_bytes().to_vec(), "the secret");
    }
    let mut raw = Vec::new();
    io::stdin()
        .lock()
        .take((MAX_SECRET + 3) as u64)
        .read_to_end(&mut raw)
        .map_err(|e| anyhow::anyhow!("cannot read the secret from stdin: {e}"))?;
    secret_from_bytes(raw, "the secret on stdin")
}

/// Ask "…? [y/N]" on a terminal; without one, go ahead (scripts pass --yes or have no TTY).
pub fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes || !io::stdin().is_terminal() {
        return Ok(true);
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Print one line to stdout: a secret, a name, a key.
pub fn out_line(s: &str, newline: bool) -> Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(s.as_bytes())?;
    if newline {
        o.write_all(b"\n")?;
    }
    o.flush()?;
    Ok(())
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
