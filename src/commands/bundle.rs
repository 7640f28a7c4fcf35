//! `tokctl bundle`: a separate vault with only some tokens, for CI: under a new key (printed
//! once), or sealed to named age/SSH recipients (an age file). The vault remembers each bundle it
//! wrote (`vault::bundles`), so a change that leaves a bundle holding an old secret is named, and
//! `bundle --refresh` re-seals it from today's secrets.

use std::path::{Path, PathBuf};

use crate::access::{Access, Opened};
use crate::cli::BundleArgs;
use crate::commands::Ctx;
use crate::commands::report::Report;
use crate::crypto;
use crate::error::{self, Code, Result};
use crate::fsio;
use crate::journal::Action;
use crate::recipients::{self, Recipient};
use crate::secret::Key;
use crate::ui::Shown;
use crate::ui::out_line;
use crate::vault::{self, Bundle, Envelope, Header, Payload, Record, SealedTo, VaultKind};
use crate::when;

/// What a bundle is sealed with.
enum Seal<'r> {
    /// A fresh random key, printed once.
    NewKey,
    /// Age recipients.
    To(&'r [Recipient]),
}

/// A bundle on disk: what it was sealed to, its bytes, and the key when it has one.
struct Written {
    sealed_to: SealedTo,
    bytes: Vec<u8>,
    key: Option<Key>,
}

/// Seal `records` into a bundle at `out` (atomically; nothing is left beside it).
fn write_bundle(out: &Path, records: Vec<Record>, seal: &Seal) -> Result<Written> {
    let mut payload = Payload::default();
    // A provider's address and hooks stay in the user's own vault (README, "Providers").
    payload.records = records.iter().map(Record::for_others).collect();
    let (sealed_to, bytes, key) = match seal {
        Seal::NewKey => {
            let key = Key::random();
            let mut header = Header::new(VaultKind::Bundle, &key);
            let bytes = vault::seal(&mut header, &key, &payload);
            (SealedTo::Key(header.key_check.clone()), bytes, Some(key))
        }
        Seal::To(rs) => {
            (SealedTo::Recipients(rs.iter().map(|r| r.line.clone()).collect()), recipients::seal(rs, &payload)?, None)
        }
    };
    fsio::private_dir(&fsio::parent(out))?;
    // No lock file: nothing is left beside a bundle (it is committed with its directory), and
    // the atomic rename alone keeps it whole.
    fsio::atomic_write(out, &bytes)?;
    Ok(Written { sealed_to, bytes, key })
}

/// Whether the bytes are a bundle tokctl wrote: a key bundle or an age file.
fn is_bundle(bytes: &[u8]) -> bool {
    recipients::is_age(bytes) || Envelope::parse(bytes).is_ok_and(|e| e.header.kind == VaultKind::Bundle)
}

/// The path a bundle is remembered by: absolute, its directory's symlinks resolved.
fn registered_path(out: &Path) -> Option<String> {
    let canonical = std::fs::canonicalize(out).ok()?;
    canonical.to_str().map(str::to_string)
}

pub fn run(ctx: &Ctx, a: BundleArgs) -> Result<u8> {
    if a.refresh {
        return refresh(ctx, &a.files);
    }
    let out = a.out.expect("clap requires --out without --refresh");
    for t in &a.tokens {
        vault::check_name(t)?;
    }
    // Every recipient is checked before anything is opened or written.
    let to = if a.to.is_empty() { None } else { Some(recipients::parse(&a.to)?) };
    let seal = match &to {
        Some(rs) => Seal::To(rs),
        None => Seal::NewKey,
    };
    if fsio::same_file(&out, &ctx.vault) {
        return Err(error::usage("the bundle cannot be written over the vault it comes from")
            .hint("choose another --out")
            .into());
    }
    // Never overwrite something that is not a bundle.
    if let Some(bytes) = fsio::read_opt(&out, fsio::MAX_VAULT)?
        && !is_bundle(&bytes)
    {
        return Err(error::conflict(format!("{} exists and is not a tokctl bundle", out.shown()))
            .hint("choose another --out, or remove that file yourself")
            .into());
    }
    let mut acc = ctx.access()?;
    let now = when::now();
    let (remembers, remote) = {
        let op = acc.read()?;
        select(&op, &a.tokens, now)?;
        (op.file_parts().is_some_and(|s| s.header.kind == VaultKind::Personal), op.is_remote())
    };
    let names = if remembers {
        acc.write(|op| {
            let records = select(op, &a.tokens, now)?;
            let w = write_bundle(&out, records.clone(), &seal)?;
            print_key(&w, None)?;
            let detail = format!("bundle {}", out.display());
            for r in &records {
                op.event(Action::Used, &r.name, &r.id, detail.clone());
            }
            // A write whose only events are uses would look like a write whose event was lost.
            op.event(Action::Written, "-", "-", format!("remembered {detail}"));
            match registered_path(&out) {
                Some(path) => {
                    let key = &op.sealed()?.key;
                    let b = Bundle::new(path, w.sealed_to, now, &w.bytes, &records, key);
                    op.payload.remember_bundle(b);
                }
                None => ctx.say(format!("{} is not a UTF-8 path: this bundle is not remembered", out.shown())),
            }
            Ok(records.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
        })?
    } else {
        let op = acc.read()?;
        let records = select(&op, &a.tokens, now)?;
        let w = write_bundle(&out, records.clone(), &seal)?;
        let names: Vec<String> = records.iter().map(|r| r.name.clone()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        op.record_use(&refs, &format!("bundle {}", out.display()));
        print_key(&w, None)?;
        ctx.say(if remote {
            "a bundle made from a remote store is not remembered: nothing will say when it holds an old secret"
        } else {
            "a bundle made from a bundle is not remembered: nothing will say when it holds an old secret"
        });
        names
    };
    let n = names.len();
    let s = if n == 1 { "" } else { "s" };
    ctx.say(match &to {
        None => {
            format!("wrote {n} token{s} to {}; the key above opens it (set it as TOKCTL_VAULT_KEY in CI)", out.shown())
        }
        Some(rs) => format!(
            "wrote {n} token{s} to {}, sealed to {} recipient{}; their identities open it \
             (TOKCTL_AGE_IDENTITY or TOKCTL_AGE_IDENTITY_FILE in CI, or `age -d -i`)",
            out.shown(),
            rs.len(),
            if rs.len() == 1 { "" } else { "s" }
        ),
    });
    Ok(0)
}

/// The records to bundle: each usable now, each once; from a remote store, only those whose
/// variable may be injected from there.
fn select(op: &Opened, names: &[String], now: i64) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = Vec::new();
    for name in names {
        let r = op.payload.find(name)?;
        r.usable_secret(now)?;
        if op.is_remote() {
            crate::select::check_remote_env(&r.name, &r.env)?;
        }
        if !records.iter().any(|x| x.name == r.name) {
            records.push(r.clone());
        }
    }
    Ok(records)
}

/// Print a key bundle's new key: the key alone, or `PATH<TAB>KEY` when several are printed.
fn print_key(w: &Written, path: Option<&str>) -> Result<()> {
    let Some(key) = &w.key else { return Ok(()) };
    let text = crypto::encode_key(key);
    match path {
        None => out_line(&text, true),
        Some(p) => out_line(&zeroize::Zeroizing::new(format!("{p}\t{}", text.as_str())), true),
    }
}

/// The state of one remembered bundle.
pub(crate) enum State {
    /// On disk as written, and every secret in it is today's.
    Current,
    /// On disk (as written or not), holding an old secret of these tokens.
    Stale(Vec<(String, vault::Change)>),
    /// Not at its path any more.
    Gone,
    /// At its path is a different file than the one written, and no token changed.
    Replaced,
}

/// Where `b` stands against today's records.
pub(crate) fn state(b: &Bundle, records: &[Record], key: &Key) -> State {
    let changes: Vec<(String, vault::Change)> =
        b.changes(records, key).into_iter().map(|(t, c)| (t.name.clone(), c)).collect();
    let on_disk = fsio::read_opt(Path::new(&b.path), fsio::MAX_VAULT).ok().flatten();
    match on_disk {
        None => State::Gone,
        Some(_) if !changes.is_empty() => State::Stale(changes),
        Some(bytes) if crypto::ct_eq(&crypto::sha256(&bytes), &b.file_hash) => State::Current,
        Some(_) => State::Replaced,
    }
}

fn change_words(changes: &[(String, vault::Change)]) -> String {
    changes.iter().map(|(n, c)| format!("'{n}' {}", c.words())).collect::<Vec<_>>().join(", ")
}

/// After a change to `name` is committed: name the bundles that now hold an old secret of it.
/// Best effort: a vault that cannot be read again says nothing more.
pub(crate) fn say_stale(ctx: &Ctx, acc: &mut Access, name: &str) {
    let Ok(op) = acc.read() else { return };
    let Some(s) = op.file_parts() else { return };
    let id = op.payload.records.iter().find(|r| r.name == name).map(|r| r.id.clone());
    for b in op.payload.bundles.iter().filter(|b| id.as_deref().is_some_and(|id| b.holds(id))) {
        if matches!(state(b, &op.payload.records, &s.key), State::Stale(_)) {
            ctx.say(format!(
                "the bundle {} still holds the old secret of '{name}': re-seal it with `tokctl bundle --refresh {}`",
                Path::new(&b.path).shown(),
                Path::new(&b.path).shown()
            ));
        }
    }
}

/// `doctor`'s lines about the remembered bundles.
pub(crate) fn doctor_lines(r: &mut Report, payload: &Payload, key: &Key) {
    if payload.bundles.is_empty() {
        return;
    }
    let mut current = 0;
    for b in &payload.bundles {
        let p = Path::new(&b.path).shown();
        match state(b, &payload.records, key) {
            State::Current => current += 1,
            State::Stale(changes) => r.problem(
                Code::Unusable,
                "bundles",
                format!("{p} holds an old secret ({}): `tokctl bundle --refresh {p}`", change_words(&changes)),
            ),
            State::Gone => r.line(
                "bundles",
                format!("– {p} is no longer there (moved or deleted): `tokctl bundle --refresh {p}` forgets it"),
            ),
            State::Replaced => r.line(
                "bundles",
                format!(
                    "– {p} is not the file tokctl wrote there (another branch checked out?); its tokens are today's"
                ),
            ),
        }
    }
    if current > 0 {
        r.line("bundles", format!("✓ {current} bundle(s) this vault wrote hold today's secrets"));
    }
}

/// `doctor` on a recipient bundle: what it is, whether this environment's identity opens it,
/// and its tokens' state.
pub(crate) fn doctor_recipient_bundle(ctx: &Ctx, r: &mut Report, now: i64) {
    r.line("format", "recipient bundle (an age file): read-only; no vault key, no log, no rollback check");
    let opened = Access::new(&ctx.vault, false, &crate::unlock::Never).and_then(|mut acc| acc.read());
    let op = match opened {
        Ok(op) => op,
        Err(e) => {
            let code = e.downcast_ref::<error::Error>().map_or(Code::Locked, |x| x.code);
            r.problem(code, "unlock", format!("{e:#}").replace('\n', "\n           "));
            return;
        }
    };
    let from = if crate::settings::get().age_identity.is_some() {
        crate::settings::ENV_AGE_IDENTITY
    } else {
        crate::settings::ENV_AGE_IDENTITY_FILE
    };
    r.line("unlock", format!("✓ with the identity in {from}"));
    let active = op.payload.records.iter().filter(|t| t.status(now) == vault::Status::Active).count();
    r.line("tokens", format!("{} in all, {active} active", op.payload.records.len()));
    for t in op.payload.records.iter().filter(|t| t.status(now) != vault::Status::Active) {
        r.problem(
            Code::Unusable,
            "",
            format!(
                "'{}' is {}: change it in the vault it came from, then `tokctl bundle --refresh`",
                t.name,
                t.status(now).as_str()
            ),
        );
    }
}

/// What one refresh did, said after the vault is written.
struct Refreshed {
    path: String,
    words: String,
}

/// `bundle --refresh [FILE…]`: re-seal the named bundles, or every stale one, from today's
/// secrets to the same recipients; a key bundle gets a new key (printed). A token revoked,
/// deleted or expired since is dropped; a bundle no longer at its path is forgotten.
fn refresh(ctx: &Ctx, files: &[PathBuf]) -> Result<u8> {
    let mut acc = ctx.access()?;
    let (wanted, bundles) = {
        let op = acc.read()?;
        if op.is_remote() {
            return Err(error::usage("a remote store remembers no bundles, so it has none to refresh")
                .hint("bundle from a vault file to have the vault remember the bundle")
                .into());
        }
        let s = op.sealed()?;
        let mut wanted: Vec<String> = Vec::new();
        for f in files {
            let found = registered_path(f)
                .or_else(|| std::path::absolute(f).ok().and_then(|p| p.to_str().map(str::to_string)))
                .filter(|p| op.payload.bundles.iter().any(|b| &b.path == p));
            match found {
                Some(p) => wanted.push(p),
                None => {
                    return Err(error::not_found(format!("{} is not a bundle this vault wrote", f.shown()))
                        .hint("`tokctl doctor` lists the bundles it remembers; make a new one with `tokctl bundle -t NAME… --out FILE`")
                        .into());
                }
            }
        }
        if files.is_empty() {
            wanted = op
                .payload
                .bundles
                .iter()
                .filter(|b| !matches!(state(b, &op.payload.records, &s.key), State::Current | State::Replaced))
                .map(|b| b.path.clone())
                .collect();
        }
        (wanted, op.payload.bundles.len())
    };
    if wanted.is_empty() {
        ctx.say(if bundles == 0 {
            "this vault remembers no bundle: nothing to refresh"
        } else {
            "every bundle this vault wrote holds today's secrets: nothing to refresh"
        });
        return Ok(0);
    }
    let now = when::now();
    let several = wanted.len() > 1;
    let done = acc.write(|op| {
        let mut done = Vec::new();
        // Every file is checked before any is written: a refusal leaves every bundle and the
        // vault as they were, and prints no key.
        for path in &wanted {
            let p = Path::new(path);
            if let Some(bytes) = fsio::read_opt(p, fsio::MAX_VAULT)?
                && !is_bundle(&bytes)
            {
                return Err(error::conflict(format!("{} is no longer a tokctl bundle", p.shown()))
                    .hint("move that file away, then run `tokctl bundle --refresh` again")
                    .into());
            }
        }
        for path in &wanted {
            let Some(i) = op.payload.bundles.iter().position(|b| &b.path == path) else { continue };
            let b = op.payload.bundles[i].clone();
            let p = PathBuf::from(path);
            match fsio::read_opt(&p, fsio::MAX_VAULT)? {
                None => {
                    op.payload.bundles.remove(i);
                    op.event(Action::Written, "-", "-", format!("forgot bundle {}", p.display()));
                    let words = "no longer there (moved or deleted): forgotten; bundle it anew where it went".into();
                    done.push(Refreshed { path: path.clone(), words });
                    continue;
                }
                Some(bytes) if !is_bundle(&bytes) => {
                    return Err(error::conflict(format!("{} is no longer a tokctl bundle", p.shown()))
                        .hint("move that file away, then run `tokctl bundle --refresh` again")
                        .into());
                }
                Some(_) => {}
            }
            let mut records = Vec::new();
            let mut dropped = Vec::new();
            for t in &b.tokens {
                match op.payload.records.iter().find(|r| r.id == t.id) {
                    None => dropped.push(format!("'{}' (deleted)", t.name)),
                    Some(r) if r.usable_secret(now).is_err() => {
                        dropped.push(format!("'{}' ({})", r.name, r.status(now).as_str()))
                    }
                    Some(r) => records.push(r.clone()),
                }
            }
            let parsed;
            let seal = match &b.sealed_to {
                SealedTo::Key(_) => Seal::NewKey,
                SealedTo::Recipients(lines) => {
                    parsed = recipients::parse(lines)?;
                    Seal::To(&parsed)
                }
            };
            let w = write_bundle(&p, records.clone(), &seal)?;
            print_key(&w, several.then_some(path.as_str()))?;
            let detail = format!("bundle {}", p.display());
            for r in &records {
                op.event(Action::Used, &r.name, &r.id, detail.clone());
            }
            op.event(Action::Written, "-", "-", format!("refreshed {detail}"));
            let n = records.len();
            let mut words = format!("re-sealed {n} token{} from today's secrets", if n == 1 { "" } else { "s" });
            if w.key.is_some() {
                words.push_str(if several {
                    "; its new key is on stdout beside its path: update TOKCTL_VAULT_KEY where it is used"
                } else {
                    "; its new key is on stdout: update TOKCTL_VAULT_KEY where it is used"
                });
            }
            if !dropped.is_empty() {
                words.push_str(&format!("; dropped {}", dropped.join(", ")));
            }
            let key = &op.sealed()?.key;
            op.payload.bundles[i] = Bundle::new(path.clone(), w.sealed_to, now, &w.bytes, &records, key);
            done.push(Refreshed { path: path.clone(), words });
        }
        Ok(done)
    })?;
    for d in done {
        ctx.say(format!("{}: {}", Path::new(&d.path).shown(), d.words));
    }
    Ok(0)
}
