//! `tokctl completion SHELL`: print the shell's registration script (the one in `completions/`).

use crate::cli::CompletionArgs;
use crate::complete;
use crate::error::Result;

pub fn run(a: CompletionArgs) -> Result<u8> {
    let script = complete::registration(a.shell);
    crate::ui::out_line(&String::from_utf8_lossy(&script), false)?;
    Ok(0)
}
