//! GitLab's personal access tokens API (REST v4, `docs.gitlab.com/api/personal_access_tokens`),
//! each call authenticated by the token itself in the `PRIVATE-TOKEN` header:
//! `GET /personal_access_tokens/self` (inspect), `POST /personal_access_tokens/self/rotate`
//! with `expires_at` (regenerate: the old token is revoked at once and a second rotation with
//! it revokes the new one, so it is never retried), `DELETE /personal_access_tokens/self`
//! (revoke). A revoked, expired or unknown token is 401.

use serde_json::{Value, json};

use super::api::{Api, Reply};
use super::{Facts, RotateFailure, Rotated, Target};
use crate::error::Result;
use crate::http::Verb;
use crate::secret::Secret;

fn auth(t: &Target) -> Option<(&'static str, &str)> {
    Some(("PRIVATE-TOKEN", t.secret.expose()))
}

/// The token's facts from its `personal_access_tokens/self` object.
fn facts(body: &Value) -> Facts {
    let active = body["active"].as_bool().unwrap_or(false) && !body["revoked"].as_bool().unwrap_or(false);
    Facts {
        valid: active,
        expires_at: match &body["expires_at"] {
            Value::Null => Some(None),
            Value::String(s) => crate::when::parse_date(s).map(Some),
            _ => None,
        },
        scopes: body["scopes"].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()),
        last_used_at: body["last_used_at"].as_str().and_then(crate::when::parse_date),
        account: body["user_id"].as_i64().map(|u| format!("user {u}")),
        why: if active {
            None
        } else if body["revoked"].as_bool() == Some(true) {
            Some("revoked".into())
        } else {
            Some("not active (expired)".into())
        },
        note: None,
    }
}

const SCOPE_HINT: &str = "GitLab lets a token read and rotate itself with the `api` or `self_rotate` scope; \
     make one with that scope and store it with `tokctl import NAME --replace`";

pub fn inspect(t: &Target) -> Result<Facts> {
    let api = Api::of(t)?;
    let r = api.call(Verb::Get, "/personal_access_tokens/self", auth(t), &[], None)?;
    match r.status {
        200 if r.body.is_object() => Ok(facts(&r.body)),
        401 => Ok(dead(&api, &r)),
        403 => Err(api.refused("to describe the token to itself", &r, SCOPE_HINT)),
        _ => Err(api.unexpected("GET /personal_access_tokens/self", &r)),
    }
}

fn dead(api: &Api, r: &Reply) -> Facts {
    let said = api.said(r);
    Facts {
        valid: false,
        why: Some(if said.is_empty() { "401 Unauthorized".into() } else { said }),
        ..Facts::default()
    }
}

/// Rotate with an `expires_at` `days` days from today (UTC).
pub fn rotate(t: &Target, days: i64) -> std::result::Result<Rotated, RotateFailure> {
    let api = Api::of(t).map_err(RotateFailure::not_done)?;
    let date = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(days))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let body = json!({ "expires_at": date });
    let r = match api.once(Verb::Post, "/personal_access_tokens/self/rotate", auth(t), &[], Some(&body)) {
        Ok(r) => r,
        Err(u) => return Err(RotateFailure { error: u.error, maybe_done: !u.never_sent, dead: false, secret: None }),
    };
    let not_done = |error| RotateFailure { error, maybe_done: false, dead: false, secret: None };
    match r.status {
        200 | 201 => {
            let Some(token) = r.body["token"].as_str().filter(|s| !s.is_empty()) else {
                // It answered, and the old token is revoked there: the new one is lost.
                return Err(RotateFailure {
                    error: api.unexpected("the rotation without a new token", &r),
                    maybe_done: true,
                    dead: false,
                    secret: None,
                });
            };
            Ok(Rotated {
                secret: Secret::new(token.to_string()),
                expires_at: match &r.body["expires_at"] {
                    Value::Null => Some(None),
                    Value::String(s) => crate::when::parse_date(s).map(Some),
                    _ => None,
                },
                warning: None,
                note: None,
            })
        }
        401 => Err(RotateFailure {
            error: crate::error::unusable(format!(
                "{} says the token '{}' is revoked or expired: it cannot rotate itself",
                api.who, t.name
            ))
            .hint(format!("make a new one at GitLab and store it with `tokctl import {} --replace`", t.name))
            .into(),
            maybe_done: false,
            dead: true,
            secret: None,
        }),
        400 => Err(not_done(
            crate::error::usage(format!("{} refused the rotation: {}", api.who, api.said(&r)))
                .hint("GitLab caps a token's lifetime (365 days unless the instance says otherwise): give a shorter --expires")
                .into(),
        )),
        403 | 405 => Err(not_done(api.refused("to let the token rotate itself", &r, SCOPE_HINT))),
        429 => Err(not_done(api.rate_limited(&r))),
        // A server error may come after the old token was revoked: keep the mark.
        _ => Err(RotateFailure { error: api.unexpected("the rotation", &r), maybe_done: r.status >= 500, dead: false, secret: None }),
    }
}

pub fn revoke(t: &Target) -> Result<()> {
    let api = Api::of(t)?;
    let r = api.call(Verb::Delete, "/personal_access_tokens/self", auth(t), &[], None)?;
    match r.status {
        200 | 202 | 204 => Ok(()),
        // Already revoked or expired: nothing left to revoke.
        401 => Ok(()),
        403 => Err(api.refused("to revoke the token", &r, SCOPE_HINT)),
        _ => Err(api.unexpected("DELETE /personal_access_tokens/self", &r)),
    }
}
