//! `tokctl redact`: stdin to stdout with every secret of the vault, in each of its forms,
//! replaced by `***` (SPEC "Finding your own secrets"). The masker is the one `exec --mask` uses;
//! it writes each read's output at once, holding back only what may still begin a secret.

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

use crate::commands::Ctx;
use crate::error::Result;
use crate::mask::Masker;
use crate::scan;

pub fn run(ctx: &Ctx) -> Result<u8> {
    let op = ctx.access()?.read()?;
    let (forms, skipped) = scan::all_forms(&op.payload.records);
    if let Some(note) = scan::skipped_note(&skipped) {
        ctx.say(note);
    }
    let patterns: Vec<&[u8]> = forms.iter().map(|f| &f.bytes[..]).collect();
    let mut masker = Masker::new(&patterns);
    drop(patterns);
    drop(forms);
    drop(op);
    let (mut input, mut output) = (io::stdin().lock(), io::stdout().lock());
    // The stream as read, secrets and all, and as written, both wiped at the end.
    let mut buf = Zeroizing::new(vec![0u8; 256 * 1024]);
    let mut out = Zeroizing::new(Vec::with_capacity(buf.len() + 64));
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::Error::from(e).context("reading stdin")),
        };
        out.clear();
        masker.push_into(&buf[..n], &mut out);
        output.write_all(&out)?;
        output.flush()?;
    }
    output.write_all(&masker.finish())?;
    output.flush()?;
    Ok(0)
}
