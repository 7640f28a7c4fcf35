//! Checks on a secret handed to tokctl (from stdin, a prompt or a dotenv file) before it is kept.

use crate::error::{self, Result};
use crate::secret::Secret;

pub const MAX_SECRET: usize = 64 * 1024;

fn too_large(what: &str) -> anyhow::Error {
    error::usage(format!("{what} is over 64 KiB"))
        .hint("a token is a line of text; check what is being piped in")
        .into()
}

/// Check a secret's bytes: UTF-8, not empty, no NUL, at most 64 KiB, one trailing newline
/// stripped (what a pipe or a prompt adds). `cmd` is the command line to pipe a secret into, for
/// the hint when there was none (`tokctl regenerate gh`).
pub fn secret_from_bytes(mut raw: Vec<u8>, what: &str, cmd: &str) -> Result<Secret> {
    if raw.ends_with(b"\r\n") {
        raw.truncate(raw.len() - 2);
    } else if raw.ends_with(b"\n") {
        raw.truncate(raw.len() - 1);
    }
    secret_exact(raw, what, cmd)
}

/// Check a secret's bytes as they are (a dotenv value, whose quotes say where it ends): UTF-8,
/// not empty, no NUL, at most 64 KiB.
pub fn secret_exact(mut raw: Vec<u8>, what: &str, cmd: &str) -> Result<Secret> {
    if raw.len() > MAX_SECRET {
        zeroize::Zeroize::zeroize(&mut raw);
        return Err(too_large(what));
    }
    if raw.is_empty() {
        return Err(error::usage(format!("{what} is empty"))
            .hint(if cfg!(target_os = "macos") {
                format!("pipe the token in, e.g. `pbpaste | {cmd}`, or run it on a terminal to be asked")
            } else {
                format!("pipe the token in, e.g. `{cmd} < token.txt`, or run it on a terminal to be asked")
            })
            .into());
    }
    // No environment variable, argument or C string can hold a NUL: the secret could never be
    // handed on whole, and a shell would cut it short.
    if raw.contains(&0) {
        zeroize::Zeroize::zeroize(&mut raw);
        return Err(error::usage(format!("{what} holds a NUL byte"))
            .hint("a token is a line of text; check what is being piped in")
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
