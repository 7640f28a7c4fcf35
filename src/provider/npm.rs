//! An npm registry's token API, as npm's own CLI uses it (`npm whoami`, `npm token list|create|
//! revoke`; registry.npmjs.org and Verdaccio answer it alike), each call authenticated by the
//! token itself (`Authorization: Bearer`): `GET /-/whoami` (valid when it names a user),
//! `GET /-/npm/v1/tokens` (the account's tokens: each a `key` and the start of the token),
//! `POST /-/npm/v1/tokens` (a new token, with the account password and, when the registry asks
//! for one, a one-time password), `DELETE /-/npm/v1/tokens/token/KEY` (revoke).

use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::api::{Api, Reply};
use super::{Asker, Facts, RotateFailure, Rotated, Target};
use crate::error::{self, Result};
use crate::http::Verb;
use crate::secret::Secret;

fn bearer(secret: &str) -> Zeroizing<String> {
    Zeroizing::new(format!("Bearer {secret}"))
}

/// The entry of the token list that is `secret`, found as npm's CLI finds a token given whole:
/// the listed start of the token (`token`, shown as `npm_ab…` or `abcde...vwxyz`) matches it,
/// or the `key` is its SHA-512 (as registry.npmjs.org computes it). One match, or none.
fn entry_of<'a>(list: &'a Value, secret: &str) -> Option<&'a Value> {
    let sha = crate::crypto::hex(&<sha2::Sha512 as sha2::Digest>::digest(secret.as_bytes()));
    let objects = list["objects"].as_array()?;
    let by_key: Vec<&Value> = objects.iter().filter(|o| o["key"].as_str() == Some(sha.as_str())).collect();
    if by_key.len() == 1 {
        return Some(by_key[0]);
    }
    let matches: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            let Some(shown) = o["token"].as_str() else { return false };
            let (head, tail) = match shown.split_once("...").or_else(|| shown.split_once('…')) {
                Some((h, t)) => (h, t),
                None => (shown, ""),
            };
            !head.is_empty()
                && secret.starts_with(head)
                && secret.ends_with(tail)
                && secret.len() > head.len() + tail.len()
                || shown == secret
        })
        .collect();
    if matches.len() == 1 { Some(matches[0]) } else { None }
}

/// The account's tokens, asked with `secret`: `Ok(None)` when the registry refuses the token (401).
/// A 403 is a refusal (exit 5): a revoked token (Verdaccio answers so) or one limited to other
/// networks (a CIDR list) cannot be told apart.
fn tokens(api: &Api, secret: &str) -> Result<Option<Reply>> {
    let auth = bearer(secret);
    let r = api.call(Verb::Get, "/-/npm/v1/tokens", Some(("Authorization", &auth)), &[], None)?;
    match r.status {
        200 => Ok(Some(r)),
        401 => Ok(None),
        403 => Err(api.refused("to list the account's tokens", &r, REFUSED_HINT)),
        _ => Err(api.unexpected("GET /-/npm/v1/tokens", &r)),
    }
}

const REFUSED_HINT: &str = "the token may be revoked, or limited to other networks (its CIDR list); \
     check it with `npm token list` where it works, or on the registry's web page";

pub fn inspect(t: &Target) -> Result<Facts> {
    let api = Api::of(t)?;
    let auth = bearer(t.secret.expose());
    let r = api.call(Verb::Get, "/-/whoami", Some(("Authorization", &auth)), &[], None)?;
    // As npm's own `whoami`: valid only when the answer names a user. A token the registry
    // does not take is 401 (registry.npmjs.org) or 200 `{}`; a 403 is a refusal (exit 5).
    let user = match r.status {
        200 => r.body["username"].as_str().filter(|u| !u.is_empty()).map(String::from),
        401 => None,
        403 => return Err(api.refused("to say whose token it is", &r, REFUSED_HINT)),
        _ => return Err(api.unexpected("GET /-/whoami", &r)),
    };
    let Some(user) = user else {
        return Ok(Facts { valid: false, why: Some("the registry names no user for it".into()), ..Facts::default() });
    };
    let mut facts = Facts { valid: true, account: Some(user), ..Facts::default() };
    // The token list says what kind of token it is; a registry without one still answered whoami.
    if let Some(list) = tokens(&api, t.secret.expose())?
        && let Some(e) = entry_of(&list.body, t.secret.expose())
    {
        let mut scopes =
            vec![if e["readonly"].as_bool() == Some(true) { "read-only" } else { "read-write" }.to_string()];
        if let Some(c) = e["cidr_whitelist"].as_array().filter(|c| !c.is_empty()) {
            scopes.extend(c.iter().filter_map(|c| c.as_str()).map(|c| format!("cidr:{c}")));
        }
        facts.scopes = Some(scopes);
        facts.expires_at = e["expires"].as_str().and_then(crate::when::parse_date).map(Some);
    }
    Ok(facts)
}

pub fn rotate(t: &Target, ask: &dyn Asker) -> std::result::Result<Rotated, RotateFailure> {
    let not_done = RotateFailure::not_done;
    let mut api = Api::of(t).map_err(not_done)?;
    let Some(list) = tokens(&api, t.secret.expose()).map_err(not_done)? else {
        return Err(RotateFailure {
            error: error::unusable(format!("{} says the token '{}' is revoked or invalid", api.who, t.name))
                .hint(format!(
                    "make a new one (`npm token create`) and store it with `tokctl import {} --replace`",
                    t.name
                ))
                .into(),
            maybe_done: false,
            dead: true,
            secret: None,
        });
    };
    let old = entry_of(&list.body, t.secret.expose()).cloned();
    let password = ask.password().ok_or_else(|| not_done(error::usage("no npm password was given").into()))?;
    api.scrub_too(password.expose());
    let body = json!({
        "name": format!("tokctl {}", t.name),
        "password": password.expose(),
        "readonly": old.as_ref().and_then(|o| o["readonly"].as_bool()).unwrap_or(false),
        "cidr_whitelist": old.as_ref().map(|o| o["cidr_whitelist"].clone()).filter(Value::is_array).unwrap_or(json!([])),
    });
    let auth = bearer(t.secret.expose());
    let send = |otp: Option<&str>| {
        let extra: Vec<(&str, &str)> = otp.map(|o| vec![("npm-otp", o)]).unwrap_or_default();
        api.once(Verb::Post, "/-/npm/v1/tokens", Some(("Authorization", &auth)), &extra, Some(&body))
            .map_err(|u| RotateFailure { error: u.error, maybe_done: !u.never_sent, dead: false, secret: None })
    };
    let mut r = send(None)?;
    let wants_otp = |r: &Reply| {
        r.status == 401
            && (r.header("www-authenticate").is_some_and(|h| h.to_ascii_lowercase().contains("otp"))
                || api.said(r).to_ascii_lowercase().contains("one-time pass"))
    };
    if wants_otp(&r) {
        let otp = ask.otp().map_err(not_done)?;
        r = send(Some(otp.expose().trim()))?;
    }
    let token = match r.status {
        200 | 201 => r.body["token"].as_str().filter(|s| !s.is_empty()).map(String::from),
        401 => {
            return Err(not_done(
                error::locked(format!("{} refused the password (or one-time password) for a new token", api.who))
                    .hint("check the account's password and try again; nothing was changed")
                    .into(),
            ));
        }
        // registry.npmjs.org no longer makes classic tokens and may refuse this request: say how
        // to make one by hand (README, "npm").
        400 | 403 | 422 => {
            return Err(not_done(api.refused(
                "to create a token this way",
                &r,
                &format!(
                    "make one by hand (`npm login`, then `npm token create`, or the registry's web page), store \
                     it with `tokctl import {} --replace`, then revoke the old one (`npm token revoke ID`)",
                    t.name
                ),
            )));
        }
        429 => return Err(not_done(api.rate_limited(&r))),
        s => {
            return Err(RotateFailure {
                error: api.unexpected("POST /-/npm/v1/tokens", &r),
                maybe_done: s >= 500,
                dead: false,
                secret: None,
            });
        }
    };
    let Some(token) = token else {
        return Err(RotateFailure {
            error: api.unexpected("the new token's request without a token", &r),
            maybe_done: true,
            dead: false,
            secret: None,
        });
    };
    let new = Secret::new(token);
    // Only now is the old token revoked, with the new one.
    let warning = match old.as_ref().and_then(|o| o["key"].as_str()) {
        None => Some(format!(
            "the old token was not found in the registry's token list, so it was not revoked: \
             revoke it with `npm token list` and `npm token revoke ID` (registry {})",
            api.base
        )),
        Some(key) => match delete(&api, new.expose(), key) {
            Ok(()) => None,
            Err(e) => Some(format!(
                "the old token is still valid at the registry ({}): revoke it with `npm token revoke {}`",
                crate::text::escape(&format!("{e:#}").replace('\n', "; ")),
                &key[..key.len().min(12)]
            )),
        },
    };
    Ok(Rotated { secret: new, expires_at: None, warning, note: None })
}

/// Revoke the token whose key is `key`, authenticated with `secret`.
fn delete(api: &Api, secret: &str, key: &str) -> Result<()> {
    if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(anyhow::anyhow!("the registry listed a token key tokctl will not put in a URL"));
    }
    let auth = bearer(secret);
    let r =
        api.call(Verb::Delete, &format!("/-/npm/v1/tokens/token/{key}"), Some(("Authorization", &auth)), &[], None)?;
    match r.status {
        200 | 202 | 204 => {}
        403 => return Err(api.refused("to revoke the token", &r, "revoke it with `npm token revoke`")),
        _ => return Err(api.unexpected("DELETE /-/npm/v1/tokens/token/KEY", &r)),
    }
    // A registry may answer 200 to a key it does not have (Verdaccio does): check it is gone,
    // with the token that asked (a revoked one is no longer taken at all).
    let auth = bearer(secret);
    let r = api.call(Verb::Get, "/-/npm/v1/tokens", Some(("Authorization", &auth)), &[], None)?;
    if r.status == 200 && r.body["objects"].as_array().is_some_and(|o| o.iter().any(|t| t["key"] == key)) {
        return Err(anyhow::anyhow!("{} said the token was revoked, but still lists it", api.who));
    }
    Ok(())
}

pub fn revoke(t: &Target) -> Result<()> {
    let api = Api::of(t)?;
    let Some(list) = tokens(&api, t.secret.expose())? else {
        // The registry no longer takes it: nothing left to revoke.
        return Ok(());
    };
    let Some(key) = entry_of(&list.body, t.secret.expose()).and_then(|e| e["key"].as_str()).map(String::from) else {
        return Err(anyhow::anyhow!(
            "{} takes the token but its token list does not show it, so it cannot be revoked by key\n\
             revoke it with `npm token list` and `npm token revoke ID`",
            api.who
        ));
    };
    delete(&api, t.secret.expose(), &key)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_token_is_found_in_the_list_as_npm_finds_it() {
        let secret = "npm_abcdefghijklmnopqrstuvwxyz0123456789";
        let list = json!({"objects": [
            {"token": "npm_zz…", "key": "k1"},
            {"token": "npm_ab…", "key": "k2"},
            {"token": "abcde...vwxyz", "key": "k3"},
        ]});
        assert_eq!(super::entry_of(&list, secret).unwrap()["key"], "k2");
        let masked = json!({"objects": [{"token": "npm_a...56789", "key": "m"}, {"token": "other...x", "key": "n"}]});
        assert_eq!(super::entry_of(&masked, secret).unwrap()["key"], "m");
        let twice = json!({"objects": [{"token": "npm_a", "key": "a"}, {"token": "npm_ab", "key": "b"}]});
        assert!(super::entry_of(&twice, secret).is_none(), "ambiguous: none");
    }
}
