//! `tokctl doctor`: explain this machine's setup and what needs attention.
//!
//! It never prompts (it unlocks with `unlock::Never`) and never writes. Exit 0 when all is well; otherwise the exit code of the
//! most serious finding (3 no vault, 4 tokens expired or due, 5 cannot unlock, 6 damaged).

use crate::access::{self, Access, Opened, Sealed};
use crate::cli::DoctorArgs;
use crate::commands::Ctx;
use crate::commands::report::Report;
use crate::error::{Code, Result};
use crate::keystore::{self, ENV_KEY, ENV_PASS, Miss};
use crate::ui::escape;
use crate::unlock::{self, Source};
use std::collections::HashMap;

use crate::commands::{UNUSED_AFTER, idle_since};
use crate::journal;
use crate::ui::Shown;
use crate::vault::{Envelope, Payload, Status, VaultKind};
use crate::when;

/// Whether the unlock cache is usable here, whether it holds this vault, and until when.
fn cache_line(r: &mut Report, vault_id: &str, now: i64) {
    use crate::cache::{self, Availability};
    let cache = cache::open();
    let usable = matches!(cache, Ok(Availability::Usable(_)));
    match cache {
        Err(e) => r.problem(Code::Usage, "cache", format!("{e}")),
        Ok(Availability::Off) => r.line("cache", "– off (TOKCTL_CACHE_TTL is 0 or off)"),
        Ok(Availability::Unavailable(why)) => r.line("cache", format!("– not available here: {why}")),
        Ok(Availability::Usable(c)) => match c.load(vault_id) {
            Some(e) => r.line(
                "cache",
                format!(
                    "✓ holds this vault's key until {} ({}), first unlocked with {}",
                    when::rfc3339(e.expires_at),
                    when::relative(e.expires_at, now),
                    e.origin.describe()
                ),
            ),
            None => r.line("cache", "usable in this login session; this vault is not cached (`tokctl unlock`)"),
        },
    }
    if usable && let Some(why) = ptrace_open() {
        r.line("", format!("– {why}"));
    }
}

/// Whether another login session of this user may attach a debugger to this one's processes
/// (and so run code in this session and read the cache): Yama's `ptrace_scope` at 0, Debian's
/// default, or no Yama at all. Said where the cache is usable, beside it.
fn ptrace_open() -> Option<String> {
    let why = match std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope") {
        Ok(scope) if scope.trim() == "0" => "ptrace_scope=0",
        Ok(_) => return None,
        Err(_) => "no Yama ptrace limits in this kernel (as ptrace_scope=0)",
    };
    Some(format!(
        "{why}: another login session of yours can attach a debugger to this session's shell and read the \
         cached key through it; `sysctl kernel.yama.ptrace_scope=1` stops that"
    ))
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).map(|m| format!("{:o}", m.permissions().mode() & 0o777)).unwrap_or_else(|_| "?".into())
}

#[cfg(not(unix))]
fn mode(_: &std::path::Path) -> String {
    "n/a".into()
}

pub fn run(ctx: &Ctx, a: DoctorArgs) -> Result<u8> {
    if crate::remote::is_url(&ctx.vault) {
        return crate::commands::remote::doctor(ctx, a);
    }
    let now = when::now();
    let within = when::parse_window("--within", a.within.as_deref().unwrap_or("7d"))?;
    let unused = a.unused.as_deref().map(|d| when::parse_window("--unused", d)).transpose()?.unwrap_or(UNUSED_AFTER);
    let mut r = Report::default();
    r.line("tokctl", env!("CARGO_PKG_VERSION"));

    let (answer, took) = keystore::probe();
    let keyring_ok = answer.is_ok();
    match answer {
        Ok(()) => r.line("keyring", format!("✓ {} answers ({} ms)", keystore::backend_name(), took.as_millis())),
        Err(Miss::Off) => r.line("keyring", "– turned off (TOKCTL_KEYRING=none)"),
        Err(Miss::Failed(why)) => r.line("keyring", format!("– {} is not usable: {why}", keystore::backend_name())),
        Err(m) => r.line("keyring", format!("– {m}")),
    }
    for (var, set) in [(ENV_KEY, keystore::env_key().is_some()), (ENV_PASS, keystore::env_passphrase().is_some())] {
        if set {
            r.line("env", format!("{var} is set"));
        }
    }

    r.line("vault", escape(&ctx.vault.display().to_string()));
    vault_choice(ctx, &mut r);
    let bytes = match crate::fsio::read_opt(&ctx.vault, crate::fsio::MAX_VAULT) {
        Ok(Some(b)) => b,
        Ok(None) => {
            r.problem(Code::NotFound, "", "no vault here yet: `tokctl init` creates one");
            if !keyring_ok {
                r.line(
                    "headless",
                    format!(
                        "no keyring: set {ENV_PASS} (a passphrase vault) or {ENV_KEY} (a key from `tokctl key export`)"
                    ),
                );
            }
            return r.finish(a.json);
        }
        Err(e) => {
            r.problem(Code::Locked, "", format!("cannot read it: {e:#}"));
            return r.finish(a.json);
        }
    };
    r.line("modes", format!("file {}, directory {}", mode(&ctx.vault), mode(&crate::fsio::parent(&ctx.vault))));
    if crate::recipients::is_age(&bytes) {
        crate::commands::bundle::doctor_recipient_bundle(ctx, &mut r, now);
        return r.finish(a.json);
    }
    let env = match Envelope::parse(&bytes) {
        Ok(e) => e,
        Err(e) => {
            r.problem(Code::Damaged, "format", format!("{e}").replace('\n', "; "));
            return r.finish(a.json);
        }
    };
    r.line(
        "format",
        format!(
            "{} v{}, {:?} vault {}, passphrase {}",
            env.header.format,
            env.header.version,
            env.header.kind,
            env.header.vault_id,
            if env.header.passphrase.is_some() { "set" } else { "not set" }
        )
        .to_lowercase(),
    );
    cache_line(&mut r, &env.header.vault_id, now);
    // The one unlock order, with no one to ask: doctor never waits on a terminal.
    let mut acc = match Access::new(&ctx.vault, ctx.default_path, &unlock::Never) {
        Ok(a) => a,
        Err(e) => {
            r.problem(Code::Locked, "unlock", format!("{e}").replace('\n', "\n           "));
            return r.finish(a.json);
        }
    };
    let (key, source) = match acc.key_for(&env, false) {
        Ok(k) => k,
        Err(e) => {
            r.problem(Code::Locked, "unlock", format!("{e}").replace('\n', "\n           "));
            return r.finish(a.json);
        }
    };
    r.line("unlock", format!("✓ with {}", source.describe()));
    if source != Source::Keyring && env.header.passphrase.is_none() && source != Source::EnvKey {
        r.line("headless", format!("set {ENV_KEY} or add a passphrase with `tokctl key passphrase`"));
    }
    let vault_id = env.header.vault_id.clone();
    let header = env.header.clone();
    let env_kind = env.header.kind;
    let payload = match env.open(&key) {
        Ok(p) => p,
        Err(e) => {
            r.problem(Code::Damaged, "records", format!("{e}").replace('\n', "; "));
            return r.finish(a.json);
        }
    };
    r.line(
        "key",
        match source {
            Source::Keyring => "held in the OS keyring (account = the vault id)".to_string(),
            Source::EnvKey => format!("given in {ENV_KEY}; the keyring was not asked"),
            Source::Cache => "from the unlock cache (see `cache` above); the keyring was not asked".into(),
            Source::Passphrase => "wrapped by the passphrase (Argon2id); no keyring copy was found".into(),
            Source::New => "new".into(),
        },
    );
    let generation = header.generation;
    let bundle = header.kind == crate::vault::VaultKind::Bundle;
    let op = Opened::file(acc.path().to_path_buf(), payload, Sealed::new(header, key, source, acc.cached()));
    match access::newest_seen(&op) {
        Ok(seen) if generation < seen.generation => r.problem(
            Code::Damaged,
            "rollback",
            format!(
                "this file is an older copy of itself: generation {}, but {} was seen ({}); restore the newer file, or keep this one with `tokctl accept-rollback`",
                generation,
                seen.generation,
                seen.source
            ),
        ),
        // A bundle is read-only and has no rollback check (SPEC, bundles): nothing is recorded.
        Ok(_) if bundle => r.line("generation", format!("{generation} (a bundle is read-only: it has no rollback check)")),
        Ok(seen) if seen.generation == 0 => {
            r.line("generation", format!("✓ {generation} (no other record of this file's generation yet)"))
        }
        Ok(seen) => r.line(
            "generation",
            format!("✓ {generation} (the newest seen: {}, in {})", seen.generation, seen.source),
        ),
        Err(e) => r.line("generation", format!("{generation} (newest seen unknown: {e})")),
    }
    let log = crate::journal::read(&op.path, &op.payload.log_keys(), &vault_id);
    let short = crate::commands::log::shortfall(&op, &log);
    crate::commands::bundle::doctor_lines(&mut r, &op.payload, &op.sealed()?.key);
    let payload = op.payload;
    let n = log.entries.len();
    let legacy = if log.legacy > 0 { format!(", {} from before the chain", log.legacy) } else { String::new() };
    if log.breaks > 0 {
        r.problem(
            Code::Damaged,
            "log",
            format!(
                "the chain of events is broken in {} place(s) ({n} events{legacy}): events were deleted, reordered or replayed; `tokctl log` marks where",
                log.breaks
            ),
        );
    } else if short.is_none() {
        r.line("log", format!("✓ {n} events, chain intact{legacy}"));
    }
    if let Some(why) = short {
        let label = if log.breaks > 0 { "" } else { "log" };
        r.problem(Code::Damaged, label, format!("events are missing from its end: {why}; `tokctl log` marks it"));
    }
    if log.unreadable > 0 {
        r.line("", format!("– {} unreadable line(s): torn by a crash mid-append, or inserted", log.unreadable));
    }
    let active = payload.records.iter().filter(|t| t.status(now) == Status::Active).count();
    r.line("tokens", format!("{} in all, {active} active", payload.records.len()));
    for t in &payload.records {
        match (t.status(now), t.expires_at) {
            (Status::Expired, Some(at)) => r.problem(
                Code::Unusable,
                "",
                format!("'{}' expired {}: `tokctl regenerate {}`", t.name, when::relative(at, now), t.name),
            ),
            (Status::Active, Some(at)) if at - now <= within => r.problem(
                Code::Unusable,
                "",
                format!("'{}' expires {}: `tokctl regenerate {}`", t.name, when::relative(at, now), t.name),
            ),
            _ => {}
        }
    }
    care(&mut r, &payload, &log, env_kind, unused, now);
    r.finish(a.json)
}

/// How old an inspection may be before `doctor` offers another.
const INSPECT_AFTER: i64 = 30 * 86_400;

/// Tokens due for rotation, and active tokens nobody used for `unused` seconds (not in a
/// bundle, which records no uses).
fn care(r: &mut Report, payload: &Payload, log: &journal::Report, kind: VaultKind, unused: i64, now: i64) {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for t in &payload.records {
        if let Some(at) = t.last_used_at {
            last.insert(&t.id, at);
        }
    }
    for e in log.entries.iter().map(|e| &e.event).filter(|e| e.is_use()) {
        let slot = last.entry(&e.token_id).or_insert(e.time);
        *slot = (*slot).max(e.time);
    }
    // git's `erase` since the secret was last set: the token was refused where it was sent.
    let mut rejected: HashMap<&str, (i64, &str)> = HashMap::new();
    for e in log.entries.iter().map(|e| &e.event).filter(|e| e.action == journal::Action::Rejected) {
        let slot = rejected.entry(&e.token_id).or_insert((e.time, &e.detail));
        if e.time >= slot.0 {
            *slot = (e.time, &e.detail);
        }
    }
    for t in &payload.records {
        if let Some((at, how)) = rejected.get(t.id.as_str()).filter(|(at, _)| *at >= t.secret_set_at) {
            r.problem(
                Code::Unusable,
                "",
                format!(
                    "'{}' was rejected ({how}, {}): it may be revoked or lack a scope there; {}",
                    t.name,
                    when::relative(*at, now),
                    match t.kind {
                        crate::vault::Kind::Minted => format!("`tokctl regenerate {}`", t.name),
                        crate::vault::Kind::Imported =>
                            format!("store a new one with `tokctl import {} --replace`", t.name),
                    }
                ),
            );
        }
        if t.rotation_due(now) {
            r.problem(Code::Unusable, "", crate::commands::rotation_words(t, now));
        }
        match t.status(now) {
            Status::DeadAtProvider => r.problem(
                Code::Unusable,
                "",
                format!(
                    "'{0}' is dead at its provider (said {1}): `tokctl import {0} --replace` with a new one",
                    t.name,
                    when::relative(t.dead_at_provider.unwrap_or(now), now)
                ),
            ),
            Status::RotationPending => {
                r.problem(Code::Unusable, "", format!("{}; {}", t.pending_words(), t.pending_hint()))
            }
            // What the provider knows is worth asking now and then: never, or not for 30 days.
            Status::Active if t.provider.is_some() && t.inspected_at.is_none_or(|at| now - at >= INSPECT_AFTER) => r
                .line(
                    "",
                    format!(
                        "– '{0}' names {1} as its provider, which was {2}: `tokctl inspect {0}` asks it whether the \
                         token is valid, when it expires and what it may do",
                        t.name,
                        t.provider.map(|p| p.as_str()).unwrap_or_default(),
                        match t.inspected_at {
                            None => "never asked".to_string(),
                            Some(at) => format!("last asked {}", when::relative(at, now)),
                        }
                    ),
                ),
            _ => {}
        }
        let idle = idle_since(t, last.get(t.id.as_str()).copied());
        if kind != VaultKind::Bundle && t.status(now) == Status::Active && now - idle >= unused {
            let how = match last.get(t.id.as_str()) {
                Some(&u) if u >= t.secret_set_at => format!("last used {}", when::relative(u, now)),
                _ => format!("not used since its secret was set {}", when::relative(t.secret_set_at, now)),
            };
            r.problem(
                Code::Unusable,
                "",
                format!("'{}' is unused ({how}): `tokctl revoke {}` if nothing needs it", t.name, t.name),
            );
        }
    }
}

/// Which vault applies and why (--vault, TOKCTL_VAULT, the project file's vault or its [ci]
/// vault, the default), and the project file: its path, its trust, what it selects.
fn vault_choice(ctx: &Ctx, r: &mut Report) {
    let env_vault = ctx.settings.vault.as_deref().map(|p| p.as_os_str());
    let ci = crate::project::in_ci();
    let why = if ctx.from_project {
        match ctx.project.as_ref().and_then(|pf| pf.project.ci_vault()) {
            Some(_) if ci => "chosen by the project file's [ci] table (CI is set)".to_string(),
            _ => "chosen by the project file".to_string(),
        }
    } else if ctx.default_path {
        "the default".to_string()
    } else if env_vault == Some(ctx.vault.as_os_str()) {
        "chosen by TOKCTL_VAULT".to_string()
    } else {
        "chosen by --vault".to_string()
    };
    r.line("", why);
    if let Some(e) = ctx.project_error.borrow().as_ref() {
        r.line("project", format!("– the nearest {} cannot be read: {e}", crate::project::FILE_NAME));
        return;
    }
    let Some(pf) = &ctx.project else {
        r.line("project", format!("– no {} here or above", crate::project::FILE_NAME));
        return;
    };
    r.line("project", pf.path.shown());
    let exempt = ctx.from_project && pf.exempts(&ctx.vault).is_some();
    let trust = if exempt {
        Ok("✓ needs no trust: its vault is inside its tree and a key or identity from the environment alone opens it"
            .to_string())
    } else {
        crate::project::require_trust(pf).map(|()| "✓ trusted".to_string())
    };
    match trust {
        Ok(t) => r.line("", t),
        Err(e) => {
            // What is wrong, without the path: the path is on the line above.
            let first = match crate::error::detail_of(&e) {
                Some(crate::error::Detail::Untrusted { why }) => why.clone(),
                _ => format!("{e:#}").lines().next().unwrap_or_default().to_string(),
            };
            let fix = format!("`tokctl trust {}` if you trust it", pf.path.shown());
            if ctx.from_project {
                r.problem(Code::NotTrusted, "", format!("{first}: every command here refuses it; {fix}"));
            } else {
                r.line("", format!("– {first}: exec and env without -t refuse it; {fix}"));
            }
        }
    }
    let selects = match (pf.project.vault.as_ref(), pf.project.ci_vault()) {
        (_, Some(v)) if ci => format!("in CI (CI is set) the vault {}", pf.dir.join(v).shown()),
        (Some(v), Some(_)) => format!("the vault {} (its [ci] vault only when CI is set)", pf.dir.join(v).shown()),
        (Some(v), None) => format!("the vault {}", pf.dir.join(v).shown()),
        (None, Some(_)) => "no vault here: its [ci] vault applies only when CI is true or 1".to_string(),
        (None, None) => "no vault".to_string(),
    };
    let overridden = if !ctx.from_project && pf.vault_now().is_some() { " (overridden here)" } else { "" };
    let env: Vec<&str> = pf.project.env.keys().map(String::as_str).collect();
    let env = if env.is_empty() { "no tokens".to_string() } else { env.join(", ") };
    r.line("", format!("selects {selects}{overridden}; [env] {env}"));
}
