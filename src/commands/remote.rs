//! What only a remote store has, or has its own way: `login`/`logout` (a server token in the OS
//! keyring), `copy` (between a vault file and a server, either way), and the server's `doctor`
//! and `log`. Also which commands do not apply to a remote store at all.

use serde_json::{Value, json};

use crate::access::Access;
use crate::cli::{Command, CopyArgs, DoctorArgs, LogArgs, LoginArgs};
use crate::commands::Ctx;
use crate::error::{self, Code, Result};
use crate::journal::Action;
use crate::keystore::{self, Miss};
use crate::remote::http::{self, Client, Method};
use crate::remote::{Location, Store};
use crate::ui::Shown;
use crate::ui::{self, escape, out_line, print_json};
use crate::vault::{self, Status};
use crate::when;

/// `key` (and `accept-rollback`) act on a vault file's key and envelope, which a server does not
/// have: exit 2, saying why.
pub fn refuse_file_only(command: &Command) -> Result<()> {
    let what = match command {
        Command::Key(_) => "`tokctl key`",
        Command::AcceptRollback => "`tokctl accept-rollback`",
        // The unlock cache holds vault keys; a remote store has none (SPEC: not cached).
        Command::Unlock(_) => "`tokctl unlock`",
        Command::Lock(_) => "`tokctl lock`",
        _ => return Ok(()),
    };
    Err(error::usage(format!("{what} does not apply to a remote store: it has no vault key or vault file"))
        .hint("the server's own authentication protects it; manage access with its policies and tokens")
        .into())
}

fn location(url: &std::path::Path) -> Result<Location> {
    Location::parse(url)?.ok_or_else(|| {
        error::usage(format!("'{}' is not a remote store", url.shown()))
            .hint("give its URL: openbao+https://HOST:PORT/MOUNT/PREFIX (or vault+https://…)")
            .into()
    })
}

pub fn login(ctx: &Ctx, a: LoginArgs) -> Result<u8> {
    let loc = location(&a.url)?;
    let token = ui::read_secret(
        "Token for the server: ",
        &format!("tokctl login {}", ui::escape(&a.url.display().to_string())),
    )?;
    let client = Client::new(&loc)?;
    let me = client.send_as(Some(token.expose()), &Method::Get, "auth/token/lookup-self", None)?;
    if me.status != 200 {
        return Err(error::locked(format!("the server at {} refused this token (HTTP {})", loc.base, me.status))
            .hint("check that it is the token you meant, and that it is not expired or revoked")
            .into());
    }
    let account = http::keyring_account(&loc);
    let text = zeroize::Zeroizing::new(token.expose().to_string());
    match keystore::save_text(&account, &format!("tokctl token for {}", loc.base), text) {
        Ok(()) => {
            ctx.say(format!(
                "kept the token for {} in the {} (account {account}); `tokctl logout` forgets it",
                loc.base,
                keystore::backend_name()
            ));
            Ok(0)
        }
        Err(miss) => Err(error::locked(format!("cannot keep the token: no usable OS keyring ({miss})"))
            .hint(
                "set BAO_TOKEN (or VAULT_TOKEN) in the environment instead, or BAO_ROLE_ID + BAO_SECRET_ID for AppRole",
            )
            .into()),
    }
}

pub fn logout(ctx: &Ctx, a: LoginArgs) -> Result<u8> {
    let loc = location(&a.url)?;
    match keystore::delete(&http::keyring_account(&loc)) {
        Ok(()) => ctx.say(format!("forgot the token for {}", loc.base)),
        Err(Miss::NoEntry) => ctx.say(format!("no token was kept for {}", loc.base)),
        Err(miss) => {
            return Err(error::locked(format!("cannot reach the OS keyring: {miss}"))
                .hint("try again once the keyring answers")
                .into());
        }
    }
    Ok(0)
}

/// Copy the named tokens from this command's vault to `--to`, as they are (a revoked one stays
/// revoked). A name already at the destination is exit 7, and nothing is copied.
pub fn copy(ctx: &Ctx, a: CopyArgs) -> Result<u8> {
    for t in &a.tokens {
        vault::check_name(t)?;
    }
    if a.to == ctx.vault || crate::fsio::same_file(&a.to, &ctx.vault) {
        return Err(error::usage("--to is the vault the tokens come from").hint("choose another --to").into());
    }
    let names: Vec<&str> = a.tokens.iter().map(String::as_str).collect();
    let from = ctx.access()?.read_only(&names)?;
    // A provider's address and hooks stay in the user's own vault (README, "Providers").
    let records = names.iter().map(|n| from.payload.find(n).map(|r| r.for_others())).collect::<Result<Vec<_>>>()?;
    if from.is_remote() {
        for r in &records {
            crate::select::check_remote_env(&r.name, &r.env)?;
        }
    }
    drop(from);
    let mut to = Access::new(&a.to, false, &ui::Terminal)?;
    to.write_or_create(|op| {
        for r in &records {
            op.payload.ensure_free(&r.name)?;
        }
        for r in &records {
            if !op.payload.records.iter().any(|x| x.name == r.name) {
                op.payload.records.push(r.clone());
                op.event(Action::Copied, &r.name, &r.id, "");
            }
        }
        Ok(())
    })?;
    if let Some(how) = to.created() {
        ctx.say(format!("created a new vault at {} ({how})", a.to.shown()));
    }
    ctx.say(format!(
        "copied {} token{} to {}",
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        escape(&a.to.display().to_string())
    ));
    Ok(0)
}

/// A remote store's history: the versions of each secret, from its metadata, newest first.
pub fn log(ctx: &Ctx, acc: &mut Access, a: LogArgs) -> Result<u8> {
    let names: Vec<String> = match &a.name {
        Some(n) => {
            acc.read_only(&[n.as_str()])?;
            vec![n.clone()]
        }
        None => acc.read()?.payload.records.iter().map(|r| r.name.clone()).collect(),
    };
    let store = acc.remote().expect("log calls this for a remote store");
    let mut rows = Vec::new();
    for n in &names {
        for v in store.versions(n)? {
            rows.push((v.created, n.clone(), v));
        }
    }
    rows.sort_by(|x, y| y.0.cmp(&x.0).then(y.2.version.cmp(&x.2.version)));
    let state = |v: &crate::remote::Version| {
        if v.destroyed {
            "destroyed"
        } else if v.deleted {
            "deleted"
        } else {
            "kept"
        }
    };
    if a.json {
        let v: Vec<Value> = rows
            .iter()
            .map(|(t, n, v)| json!({"time": when::rfc3339(*t), "action": "version", "token": n, "version": v.version, "state": state(v)}))
            .collect();
        print_json(&Value::Array(v))?;
    } else if rows.is_empty() {
        ctx.say("no versions yet");
    } else {
        let mut out = String::new();
        for (t, n, v) in &rows {
            out.push_str(&format!("{}  version {:<4} {}  ({})\n", when::rfc3339(*t), v.version, escape(n), state(v)));
        }
        out_line(&out, false)?;
        ctx.say("uses are not recorded on a remote store: the server's audit device sees them");
    }
    Ok(0)
}

/// The longest token TTL taken from a server: ten years.
const MAX_TTL: i64 = 10 * 366 * 86_400;

/// `doctor` for a remote store: reachable, authenticated as what, the token's TTL, whether the
/// mount is KV version 2, the capabilities on the prefix, and tokens expired or due.
pub fn doctor(ctx: &Ctx, a: DoctorArgs) -> Result<u8> {
    let now = when::now();
    let within = when::parse_window("--within", a.within.as_deref().unwrap_or("7d"))?;
    let loc = location(&ctx.vault)?;
    let mut r = crate::commands::report::Report::default();
    r.line("tokctl", env!("CARGO_PKG_VERSION"));
    r.line("store", format!("remote: {} (KV v2 mount '{}', prefix '{}')", loc.base, loc.mount, loc.prefix));
    let store = Store::new(loc.clone())?;
    let health = match store.client.send_as(None, &Method::Get, "sys/health", None) {
        Ok(h) => h,
        Err(e) => {
            r.problem(None, "server", format!("{e:#}"));
            return r.finish(a.json);
        }
    };
    let version = health.body["version"].as_str().unwrap_or("?").to_string();
    if health.body["sealed"].as_bool() == Some(true) {
        r.problem(None, "server", format!("reachable, version {version}, but sealed: unseal it first"));
    } else {
        r.line("server", format!("✓ reachable, version {version}"));
    }
    match store.client.send(Method::Get, "auth/token/lookup-self", None) {
        Ok(me) if me.status == 200 => {
            let d = &me.body["data"];
            let policies: Vec<&str> =
                d["policies"].as_array().into_iter().flatten().filter_map(|p| p.as_str()).collect();
            let auth = store.client.auth().map(|a| a.words()).unwrap_or_default();
            r.line(
                "auth",
                format!(
                    "✓ as '{}' with policies {} ({auth})",
                    d["display_name"].as_str().unwrap_or("?"),
                    policies.join(", ")
                ),
            );
            match d["ttl"].as_i64() {
                // A TTL from the server is a number of seconds, at most a few years.
                Some(t) if !(0..=MAX_TTL).contains(&t) => r.problem(
                    Some(Code::Damaged),
                    "ttl",
                    format!("the server answered a TTL of {t} seconds for this token, which is no TTL"),
                ),
                Some(0) => r.line("ttl", "✓ the token does not expire"),
                Some(t) if t < 300 => r.problem(
                    Some(Code::Locked),
                    "ttl",
                    format!("the token expires in {}: renew it, or log in again", when::span_words(t)),
                ),
                Some(t) => r.line("ttl", format!("✓ the token expires in {}", when::span_words(t))),
                None => r.line("ttl", "– unknown"),
            }
        }
        Ok(me) => r.problem(Some(Code::Locked), "auth", format!("token lookup answered HTTP {}", me.status)),
        Err(e) => {
            let code = e.downcast_ref::<error::Error>().map(|x| x.code);
            r.problem(code, "auth", format!("{e:#}"));
            return r.finish(a.json);
        }
    }
    match store.client.send(Method::Get, &format!("sys/internal/ui/mounts/{}", loc.mount), None) {
        Ok(m) if m.status == 200 => {
            let d = &m.body["data"];
            let (ty, ver) = (d["type"].as_str().unwrap_or("?"), d["options"]["version"].as_str().unwrap_or("1"));
            if ty == "kv" && ver == "2" {
                r.line("mount", format!("✓ '{}' is KV version 2", loc.mount));
            } else {
                r.problem(None, "mount", format!("'{}' is {ty} version {ver}, not KV version 2", loc.mount));
            }
        }
        Ok(m) => r.problem(None, "mount", format!("no mount '{}' the token can see (HTTP {})", loc.mount, m.status)),
        Err(e) => r.problem(Some(Code::Locked), "mount", format!("{e:#}")),
    }
    let paths = [loc.path("data", "*"), loc.path("metadata", "*"), loc.path("destroy", "*")];
    match store.client.send(Method::Post, "sys/capabilities-self", Some(&json!({"paths": paths}))) {
        Ok(c) if c.status == 200 => {
            for p in &paths {
                let caps: Vec<&str> =
                    c.body[p.as_str()].as_array().into_iter().flatten().filter_map(|x| x.as_str()).collect();
                let words = if caps.is_empty() { "none".to_string() } else { caps.join(", ") };
                let granted = !caps.is_empty() && !caps.contains(&"deny");
                if granted {
                    r.line("access", format!("✓ {p}: {words}"));
                } else if p == &paths[0] {
                    // Without reading the data nothing works; the rest only limits what may change.
                    r.problem(Some(Code::Locked), "access", format!("{p}: {words} (tokens cannot be read)"));
                } else {
                    r.line("access", format!("– {p}: {words} (read-only for tokctl)"));
                }
            }
        }
        Ok(c) => r.line("access", format!("– capabilities unknown (HTTP {})", c.status)),
        Err(e) => r.line("access", format!("– capabilities unknown: {e:#}")),
    }
    let mut acc = Access::new(&ctx.vault, false, &crate::unlock::Never)?;
    match acc.read() {
        Ok(op) => {
            r.line("tokens", format!("{} on the server", op.payload.records.len()));
            for t in &op.payload.records {
                match t.status(now) {
                    Status::Expired => r.problem(Some(Code::Unusable), "expired", format!("'{}'", t.name)),
                    Status::Active if t.expires_at.is_some_and(|e| e - now <= within) => r.problem(
                        Some(Code::Unusable),
                        "expiring",
                        format!("'{}' {}", t.name, when::relative(t.expires_at.unwrap_or_default(), now)),
                    ),
                    Status::Active if t.rotation_due(now) => {
                        r.problem(Some(Code::Unusable), "rotation", crate::commands::rotation_words(t, now))
                    }
                    _ => {}
                }
            }
        }
        Err(e) => {
            let code = e.downcast_ref::<error::Error>().map(|x| x.code);
            r.problem(code, "tokens", format!("{e:#}"));
        }
    }
    r.finish(a.json)
}
