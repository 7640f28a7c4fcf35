//! GitHub (REST API version 2022-11-28, `docs.github.com/en/rest`): personal access tokens
//! cannot be rotated or inspected by an endpoint of their own, so `inspect` reads what every
//! authenticated answer carries (`GET /user`: the `x-oauth-scopes` header of a classic token,
//! `github-authentication-token-expiration` of one that expires; 401 is a dead token), and
//! `revoke` uses the credential revocation API (`POST /credentials/revoke`), which github.com
//! takes without authentication and GitHub Enterprise Server with it.

use serde_json::json;

use super::api::Api;
use super::{Facts, Target};
use crate::error::Result;
use crate::http::Verb;

const HEADERS: [(&str, &str); 2] = [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")];

/// `github-authentication-token-expiration`: `2026-12-31 23:59:59 UTC` (or with a numeric
/// offset such as `+0000` or `-0800`).
fn expiration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (when, zone) = s.rsplit_once(' ')?;
    let offset = match zone {
        "UTC" | "GMT" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let h: i64 = z[1..3].parse().ok()?;
            let m: i64 = z[3..5].parse().ok()?;
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let dt: jiff::civil::DateTime = when.replace(' ', "T").parse().ok()?;
    let utc = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second();
    Some(utc - offset)
}

pub fn inspect(t: &Target) -> Result<Facts> {
    let api = Api::of(t)?;
    let bearer = format!("Bearer {}", t.secret.expose());
    let bearer = zeroize::Zeroizing::new(bearer);
    let r = api.call(Verb::Get, "/user", Some(("Authorization", &bearer)), &HEADERS, None)?;
    match r.status {
        200 => Ok(Facts {
            valid: true,
            expires_at: Some(r.header("github-authentication-token-expiration").and_then(expiration)),
            // Only a classic token's answers carry its scopes; a fine-grained one's do not.
            scopes: r
                .header("x-oauth-scopes")
                .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()),
            last_used_at: None,
            account: r.body["login"].as_str().map(String::from),
            why: None,
            note: None,
        }),
        401 => Ok(Facts { valid: false, why: Some(format!("401 {}", api.said(&r))), ..Facts::default() }),
        403 => Err(api.refused(
            "to answer for the token",
            &r,
            "a fine-grained token may lack access, or an organization's policy blocks it; check it at \
             https://github.com/settings/tokens",
        )),
        _ => Err(api.unexpected("GET /user", &r)),
    }
}

pub fn revoke(t: &Target) -> Result<()> {
    let api = Api::of(t)?;
    let body = json!({ "credentials": [t.secret.expose()] });
    let bearer = zeroize::Zeroizing::new(format!("Bearer {}", t.secret.expose()));
    // github.com takes this request without authentication; GitHub Enterprise Server with it.
    let auth = if t.provider.is_github_com(t.url()) { None } else { Some(("Authorization", bearer.as_str())) };
    let r = api.call(Verb::Post, "/credentials/revoke", auth, &HEADERS, Some(&body))?;
    match r.status {
        200 | 202 | 204 => Ok(()),
        // GHES: the token cannot authenticate because it is already dead.
        401 => Ok(()),
        403 => Err(api.refused("to revoke the token", &r, "revoke it by hand on the tokens page")),
        _ => Err(api.unexpected("POST /credentials/revoke", &r)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_expiration_header_reads_in_utc() {
        assert_eq!(super::expiration("2026-12-31 00:00:00 UTC"), Some(1_798_675_200));
        assert_eq!(super::expiration("2026-12-31 01:00:00 +0100"), Some(1_798_675_200));
        assert_eq!(super::expiration("2026-12-30 16:00:00 -0800"), Some(1_798_675_200));
        assert_eq!(super::expiration("tomorrow"), None);
    }
}
