//! `tokctl create`: mint a token and print it once.

use crate::cli::{CreateArgs, MetaArgs};
use crate::commands::Ctx;
use crate::crypto;
use crate::error::Result;
use crate::secret::Secret;
use crate::ui::out_line;
use crate::vault::{self, Kind, Record};
use crate::when::{self, Expiry};

/// Validated metadata for a new record.
pub struct Meta {
    pub env: String,
    pub scopes: Vec<String>,
    pub expiry: Expiry,
    pub note: String,
}

impl Meta {
    pub fn parse(name: &str, m: &MetaArgs, default_expiry: Expiry) -> Result<Meta> {
        vault::check_name(name)?;
        let env = match &m.env {
            Some(e) => {
                vault::check_env(e)?;
                crate::select::check_injectable(e)?;
                e.clone()
            }
            None => vault::default_env(name),
        };
        let expiry = match &m.expires {
            Some(s) => when::parse_expiry(s, when::now())?,
            None => default_expiry,
        };
        Ok(Meta { env, scopes: vault::scope_set(&m.scopes)?, expiry, note: m.note.clone().unwrap_or_default() })
    }

    pub fn record(self, name: &str, kind: Kind, prefix: Option<String>, secret: Secret) -> Record {
        let now = when::now();
        let (expires_at, lifetime) = self.expiry.resolve(now);
        let mut r = Record {
            id: vault::new_id("t", 10),
            name: name.to_string(),
            kind,
            env: self.env,
            scopes: self.scopes,
            created_at: now,
            updated_at: now,
            expires_at,
            lifetime,
            last_used_at: None,
            revoked_at: None,
            note: self.note,
            prefix,
            secret: None,
            hash: [0; 32],
            fingerprint: String::new(),
        };
        r.set_secret(secret);
        r
    }
}

pub fn expiry_words(expires_at: Option<i64>) -> String {
    match expires_at {
        Some(t) => format!("expires {} ({})", when::relative(t, when::now()), when::rfc3339(t)),
        None => "never expires".into(),
    }
}

pub fn run(ctx: &Ctx, a: CreateArgs) -> Result<u8> {
    let meta = Meta::parse(&a.name, &a.meta, Expiry::After(90 * 86_400))?;
    vault::check_prefix(&a.prefix)?;
    let secret = crypto::mint(&a.prefix);
    let mut acc = ctx.access()?;
    let (env, expires_at) = acc.write_or_create(|op| {
        op.payload.ensure_free(&a.name)?;
        let r = meta.record(&a.name, Kind::Minted, Some(a.prefix.clone()), secret.clone());
        op.event("created", &r.name, &r.id, format!("scopes: {}", r.scopes.join(",")));
        let out = (r.env.clone(), r.expires_at);
        op.payload.records.push(r);
        Ok(out)
    })?;
    out_line(secret.expose(), true)?;
    ctx.report_created(&acc);
    ctx.say(format!("stored '{}' in {} as {env}; {}", a.name, ctx.vault.display(), expiry_words(expires_at)));
    Ok(0)
}
