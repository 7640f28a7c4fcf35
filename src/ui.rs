//! The terminal edge: every prompt and confirmation, every line on stdout and stderr, JSON
//! printing and colour. Nothing below `commands` reads a terminal or prints; it asks a person
//! through the `Prompter` implemented here, and returns values and typed errors.
//!
//! Colour is decided once (`--color`, `NO_COLOR`, `CLICOLOR`, a terminal or not) by `anstream`;
//! styled text written through `out_styled` loses its styles when colour is off. Secrets, keys
//! and JSON are written raw with `out_line`, byte for byte.
//!
//! Text meant for a person that carries data (a note, a name, a program name, a path) goes
//! through `escape` first, so that no control character from the data reaches the terminal;
//! notes (`Ui::say`), prompts and error messages are escaped here, line by line.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use anstyle::{AnsiColor, Effects, Style};
use zeroize::Zeroizing;

use crate::cli::ColorWhen;
use crate::error::{self, Result};
use crate::input::{MAX_SECRET, secret_from_bytes};
use crate::secret::Secret;
use crate::unlock::Prompter;

pub(crate) use crate::text::{Shown, escape, escape_lines};

pub const BOLD: Style = Style::new().effects(Effects::BOLD);
pub const DIM: Style = Style::new().effects(Effects::DIMMED);
pub const RED: Style = AnsiColor::Red.on_default();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();

/// How this run talks to its user.
#[derive(Clone, Copy)]
pub struct Ui {
    quiet: bool,
}

impl Ui {
    pub fn new(quiet: bool, color: ColorWhen) -> Ui {
        match color {
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
            ColorWhen::Auto => anstream::ColorChoice::Auto,
        }
        .write_global();
        Ui { quiet }
    }

    /// A note on stderr (`tokctl: …`), unless `--quiet`. Control characters in it are escaped.
    pub fn say(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("tokctl: {}", escape_lines(msg.as_ref()));
        }
    }
}

/// An error on stderr, even under `--quiet`: `tokctl: ` and its first line, then each further
/// line (a hint) indented. How `main` ends a failed command, and how a command that goes on
/// reports one item of several.
pub fn print_error(e: &anyhow::Error) {
    let mut lines = crate::error::lines(e).into_iter();
    if let Some(first) = lines.next() {
        eprintln!("tokctl: {first}");
    }
    for l in lines {
        eprintln!("  {l}");
    }
}

/// `s` in `style` (dropped again on output when colour is off).
pub fn paint(style: Style, s: &str) -> String {
    format!("{style}{s}{style:#}")
}

/// Print text to stdout as it is: a secret, a name, a key, JSON.
pub fn out_line(s: &str, newline: bool) -> Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(s.as_bytes())?;
    if newline {
        o.write_all(b"\n")?;
    }
    o.flush()?;
    Ok(())
}

/// Print text that may carry styles from `paint`; they are stripped when colour is off.
pub fn out_styled(s: &str) -> Result<()> {
    let mut o = anstream::stdout().lock();
    o.write_all(s.as_bytes())?;
    o.flush()?;
    Ok(())
}

/// Pretty JSON. serde_json escapes C0 controls; DEL and C1 it writes raw, so they are escaped
/// here too (they can only occur inside strings, where `\u007f` means the same).
pub fn print_json(v: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    if !text.chars().any(char::is_control) {
        return out_line(&text, true);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out_line(&out, true)
}

pub fn stdin_is_tty() -> bool {
    io::stdin().is_terminal()
}

/// Ask for something on the terminal without echo.
fn hidden(text: &str) -> Result<Zeroizing<String>> {
    let p = rpassword::prompt_password(text).map_err(|e| anyhow::anyhow!("cannot read from the terminal: {e}"))?;
    Ok(Zeroizing::new(p))
}

/// Ask a person at the terminal for a secret (a password, a one-time password), without echo.
pub fn ask_hidden(prompt: &str) -> Result<Secret> {
    let p = hidden(prompt)?;
    Ok(Secret::new(p.trim_end_matches(['\r', '\n']).to_string()))
}

/// Read a secret from stdin, or from a no-echo prompt when stdin is a terminal.
pub fn read_secret(prompt: &str, cmd: &str) -> Result<Secret> {
    if stdin_is_tty() {
        let p = hidden(prompt)?;
        return secret_from_bytes(p.as_bytes().to_vec(), "the secret", cmd);
    }
    let mut raw = Vec::new();
    io::stdin()
        .lock()
        .take((MAX_SECRET + 3) as u64)
        .read_to_end(&mut raw)
        .map_err(|e| anyhow::anyhow!("cannot read the secret from stdin: {e}"))?;
    secret_from_bytes(raw, "the secret on stdin", cmd)
}

/// Everything piped in on stdin, at most `limit` bytes; wiped when dropped.
pub fn read_stdin(limit: u64) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut raw = Zeroizing::new(Vec::new());
    io::stdin().lock().take(limit).read_to_end(&mut raw)?;
    Ok(raw)
}

/// Ask "…? [y/N]" on a terminal; without one, go ahead (scripts pass --yes or have no TTY).
pub fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes || !stdin_is_tty() {
        return Ok(true);
    }
    eprint!("{} [y/N] ", escape_lines(question));
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// A new passphrase: asked twice on a terminal, else the first line of stdin.
pub fn new_passphrase() -> Result<Zeroizing<String>> {
    let p = if stdin_is_tty() {
        let a = hidden("New passphrase: ")?;
        // Too short is said at once, not after it was typed a second time.
        crate::keystore::check_passphrase(&a)?;
        let b = hidden("Repeat it: ")?;
        if *a != *b {
            return Err(error::usage("the two passphrases differ").hint("run the command again").into());
        }
        a
    } else {
        let mut all = Zeroizing::new(String::new());
        io::stdin().read_to_string(&mut all).map_err(|_| error::usage("the passphrase on stdin is not UTF-8 text"))?;
        Zeroizing::new(all.lines().next().unwrap_or("").to_string())
    };
    crate::keystore::check_passphrase(&p)?;
    Ok(p)
}

/// A person at this terminal, when stdin is one.
pub struct Terminal;

impl Prompter for Terminal {
    fn can_ask(&self) -> bool {
        stdin_is_tty()
    }

    fn passphrase(&self, vault: &Path, why: Option<&str>, retry: bool) -> Result<Zeroizing<String>> {
        if let Some(why) = why {
            eprintln!("tokctl: {}; asking for the passphrase", escape_lines(why));
        }
        if retry {
            eprintln!("tokctl: wrong passphrase");
        }
        // No passphrase (end of input, a closed terminal) leaves the vault locked: exit 5.
        let shown = escape(&vault.display().to_string()).into_owned();
        hidden(&format!("Passphrase for {shown}: ")).map_err(|e| {
            error::locked(format!("no passphrase was given for {shown}: {}", e.root_cause()))
                .hint(format!("type it at the prompt, or set {}", crate::keystore::ENV_PASS))
                .into()
        })
    }

    fn new_passphrase(&self, why: &str) -> Result<Zeroizing<String>> {
        eprintln!("tokctl: {}", escape_lines(why));
        new_passphrase()
    }
}
