//! The layout of one token on a server: the secret's data (`token` beside tokctl's record) to a
//! `Record` and back, the markers a rename or delete leaves, and wiping the secret held in JSON.

use serde_json::{Map, Value};

use crate::crypto;
use crate::error::Result;
use crate::secret::Secret;
use crate::vault::{Kind, Record, default_env};
use crate::when;

/// `data` with the `id` the path held (a record's id is made unique per path for a command).
pub(super) fn with_id(mut data: Map<String, Value>, id: &str) -> Map<String, Value> {
    data.insert("id".into(), id.into());
    data
}

/// What a rename (`moved`) or a delete (`deleted`) leaves at the old path: no token.
pub(super) fn marker(status: &str, to: Option<&str>, id: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("status".into(), status.into());
    m.insert("id".into(), id.into());
    if let Some(to) = to {
        m.insert("moved_to".into(), to.into());
    }
    m.insert("updated".into(), when::rfc3339(when::now()).into());
    m
}

pub(super) fn marker_deleted(id: &str) -> Map<String, Value> {
    marker("deleted", None, id)
}

pub(super) fn clip(s: &str) -> String {
    if s.len() <= 512 { s.to_string() } else { s[..s.floor_char_boundary(509)].to_string() + "…" }
}

pub(super) fn wipe_token(mut body: Value) {
    if let Some(Value::Object(m)) = body.get_mut("data") {
        wipe(m);
    }
}

/// Wipe the secret in a secret's data (serde_json's strings are not wiped on drop).
pub(super) fn wipe(data: &mut Map<String, Value>) {
    if let Some(Value::String(s)) = data.get_mut("token") {
        zeroize::Zeroize::zeroize(s);
    }
}

pub(super) fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// The secret's data for `r`: `extra` (what the server held, other clients' fields kept) with
/// tokctl's fields set. A revoked record has no `token`.
pub(super) fn data_from(r: &Record, extra: &Map<String, Value>) -> Map<String, Value> {
    let mut d = extra.clone();
    let time = |t: Option<i64>| t.map(|t| Value::from(when::rfc3339(t))).unwrap_or(Value::Null);
    match &r.secret {
        Some(s) => d.insert("token".into(), s.expose().into()),
        None => d.remove("token"),
    };
    d.insert("id".into(), r.id.clone().into());
    d.insert("kind".into(), (if r.kind == Kind::Minted { "minted" } else { "imported" }).into());
    d.insert("env".into(), r.env.clone().into());
    d.insert("scopes".into(), r.scopes.clone().into());
    d.insert("created".into(), time(Some(r.created_at)));
    d.insert("updated".into(), time(Some(r.updated_at)));
    d.insert("expires".into(), time(r.expires_at));
    d.insert("secret_set".into(), time(Some(r.secret_set_at)));
    d.insert("lifetime".into(), r.lifetime.map(Value::from).unwrap_or(Value::Null));
    d.insert("rotate_every".into(), r.rotate_every.map(Value::from).unwrap_or(Value::Null));
    d.insert("status".into(), (if r.revoked_at.is_some() { "revoked" } else { "active" }).into());
    d.insert("revoked_at".into(), time(r.revoked_at));
    d.insert("note".into(), r.note.clone().into());
    d.insert("prefix".into(), r.prefix.clone().map(Value::from).unwrap_or(Value::Null));
    d.insert("fingerprint".into(), r.fingerprint.clone().into());
    match &r.username {
        Some(u) => d.insert("username".into(), u.clone().into()),
        None => d.remove("username"),
    };
    // The provider and what it said; never its address or hooks (README, "Providers").
    d.insert("provider".into(), r.provider.map(|p| Value::from(p.as_str())).unwrap_or(Value::Null));
    d.insert("inspected".into(), time(r.inspected_at));
    d.insert("provider_scopes".into(), r.provider_scopes.clone().map(Value::from).unwrap_or(Value::Null));
    d.insert("provider_last_used".into(), time(r.provider_last_used_at));
    d.insert("dead_at_provider".into(), time(r.dead_at_provider));
    d.insert("rotation_pending".into(), time(r.rotation_pending));
    d
}

/// A record from a secret's data. Only `token` is needed: every other field has a default (an
/// imported token named after the path, its variable from the name, no scopes, no expiry), so
/// a secret another client wrote with `bao kv put … token=…` is a valid token.
pub(super) fn record_from(name: &str, d: &Map<String, Value>, written: i64) -> Result<Record, String> {
    let text = |k: &str| -> Result<Option<String>, String> {
        match d.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("'{k}' is not a string")),
        }
    };
    let time = |k: &str| -> Result<Option<i64>, String> {
        match text(k)? {
            None => Ok(None),
            Some(s) if s == "never" => Ok(None),
            Some(s) => parse_time(&s).map(Some).ok_or_else(|| format!("'{k}' is not an RFC 3339 time")),
        }
    };
    let secs = |k: &str| -> Result<Option<i64>, String> {
        match d.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|s| *s > 0)
                .map(Some)
                .ok_or_else(|| format!("'{k}' is not a positive number of seconds")),
            Some(Value::String(s)) => s
                .parse::<i64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Some)
                .ok_or_else(|| format!("'{k}' is not a positive number of seconds")),
            Some(_) => Err(format!("'{k}' is not a number of seconds")),
        }
    };
    let secret = text("token")?.map(Secret::new);
    let env = match text("env")? {
        Some(e) => {
            crate::vault::check_env(&e)
                .map_err(|_| format!("'env' is not a valid variable name: {}", crate::text::escape(&e)))?;
            e
        }
        None => default_env(name),
    };
    let scopes: Vec<String> = match d.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| s.as_str().map(String::from).ok_or("'scopes' holds a non-string"))
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) => s.split([' ', ',']).filter(|s| !s.is_empty()).map(String::from).collect(),
        Some(_) => return Err("'scopes' is neither a list nor a string".into()),
    };
    let scopes = crate::vault::scope_set(&scopes).map_err(|e| format!("'scopes': {e}"))?;
    let kind = match text("kind")?.as_deref() {
        Some("minted") => Kind::Minted,
        Some("imported") | None => Kind::Imported,
        Some(other) => return Err(format!("'kind' is '{}', not minted or imported", crate::text::escape(other))),
    };
    let created = time("created")?.unwrap_or(written);
    let updated = time("updated")?.unwrap_or(written);
    let mut revoked_at = time("revoked_at")?;
    if revoked_at.is_none() && text("status")?.as_deref() == Some("revoked") {
        revoked_at = Some(updated);
    }
    let id = text("id")?.unwrap_or_else(|| format!("t_{}", &crypto::hex(&crypto::sha256(name.as_bytes()))[..10]));
    let mut r = Record {
        id,
        name: name.to_string(),
        kind,
        env,
        scopes,
        created_at: created,
        updated_at: updated,
        expires_at: time("expires")?,
        lifetime: secs("lifetime")?,
        last_used_at: None,
        revoked_at,
        note: text("note")?.unwrap_or_default(),
        prefix: text("prefix")?,
        secret: None,
        hash: [0; 32],
        fingerprint: text("fingerprint")?.unwrap_or_default(),
        secret_set_at: time("secret_set")?.unwrap_or(updated),
        rotate_every: secs("rotate_every")?,
        username: text("username")?,
        // Never from a team's store: whoever can write the prefix must not choose where git
        // sends its readers' tokens (README, "Where tools look for tokens").
        hosts: Vec::new(),
        provider: match text("provider")?.as_deref() {
            None | Some("none") => None,
            Some(p) => Some(
                crate::vault::Provider::parse(p)
                    .map_err(|_| format!("'provider' is '{}', not a provider", crate::text::escape(p)))?
                    .expect("not none"),
            ),
        },
        // Nor where a token is sent, nor code to run (README, "Providers").
        provider_url: None,
        on_rotate: None,
        on_revoke: None,
        on_inspect: None,
        inspected_at: time("inspected")?,
        provider_scopes: match d.get("provider_scopes") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(
                a.iter()
                    .map(|s| s.as_str().map(String::from).ok_or("'provider_scopes' holds a non-string"))
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return Err("'provider_scopes' is not a list".into()),
        },
        provider_last_used_at: time("provider_last_used")?,
        dead_at_provider: time("dead_at_provider")?,
        rotation_pending: time("rotation_pending")?,
    };
    // `set_secret` starts a new secret's life; what the store says about this one stays.
    let said =
        (r.inspected_at, r.provider_scopes.clone(), r.provider_last_used_at, r.dead_at_provider, r.rotation_pending);
    if let Some(s) = secret
        && revoked_at.is_none()
    {
        let set = r.secret_set_at;
        r.set_secret(s, set);
    }
    (r.inspected_at, r.provider_scopes, r.provider_last_used_at, r.dead_at_provider, r.rotation_pending) = said;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Kind, Meta, Provider};
    use crate::when::Expiry;

    /// What a provider said and a pending rotation travel through a team's store; the
    /// provider's address and hooks never do.
    #[test]
    fn a_records_provider_travels_but_not_its_address_or_hooks() {
        let mut r = Meta::new("gl", None, &[], None, None, Expiry::Never).unwrap().record(
            "gl",
            Kind::Imported,
            None,
            Secret::new("glpat-abcdefghijklmnopqrst".into()),
        );
        r.provider = Some(Provider::Gitlab);
        r.provider_url = Some("https://gitlab.example.com".into());
        r.on_inspect = Some("run-me".into());
        r.inspected_at = Some(1_700_000_000);
        r.provider_scopes = Some(vec!["api".into()]);
        r.dead_at_provider = Some(1_700_000_100);
        r.rotation_pending = Some(1_700_000_200);
        let data = data_from(&r, &Map::new());
        assert!(!data.contains_key("provider_url") && !data.contains_key("on_inspect"), "{data:?}");
        let back = record_from("gl", &data, 5).unwrap();
        assert_eq!(back.provider, Some(Provider::Gitlab));
        assert_eq!((back.provider_url, back.on_inspect), (None, None));
        assert_eq!(back.provider_scopes, Some(vec!["api".to_string()]));
        assert_eq!(
            (back.inspected_at, back.dead_at_provider, back.rotation_pending),
            (Some(1_700_000_000), Some(1_700_000_100), Some(1_700_000_200))
        );
        // Hooks written into the store by someone else are not read either.
        let mut planted = data.clone();
        planted.insert("on_rotate".into(), "curl evil.example".into());
        planted.insert("provider_url".into(), "https://evil.example".into());
        let back = record_from("gl", &planted, 5).unwrap();
        assert_eq!((back.on_rotate, back.provider_url), (None, None));
    }
}
