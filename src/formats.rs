//! Well-known providers: the token names and secret formats whose CLI reads a fixed environment
//! variable (so a token named `bws`, or a Bitwarden access token, goes into `BWS_ACCESS_TOKEN`),
//! and a mistyped GitHub token (its last six characters are a CRC32 checksum).

/// What a secret looks like.
#[derive(Debug, PartialEq, Eq)]
pub struct Recognised {
    pub provider: &'static str,
    pub env: &'static str,
    /// Whether the provider's own CLI reads `env` (so it is the token's default variable), not
    /// only a common convention.
    pub cli_reads: bool,
    /// `Some(false)` when the format carries a checksum and it does not match.
    pub checksum_ok: Option<bool>,
}

/// Six base62 characters, as GitHub writes its checksum (the same alphabet as tokctl's own).
fn base62_6(n: u32) -> String {
    crate::crypto::base62_fixed(n, 6)
}

/// GitHub's classic tokens: `gh?_` + 30 base62 + base62(CRC32 of those 30), 6 characters.
fn github_checksum(body: &str) -> Option<bool> {
    if body.len() != 36 || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (random, sum) = body.split_at(30);
    Some(base62_6(crc32fast::hash(random.as_bytes())) == sum)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn recognise(secret: &str) -> Option<Recognised> {
    let r = |provider, env, checksum_ok| Some(Recognised { provider, env, cli_reads: true, checksum_ok });
    let convention = |provider, env| Some(Recognised { provider, env, cli_reads: false, checksum_ok: None });
    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(body) = secret.strip_prefix(p) {
            return r("GitHub", "GH_TOKEN", github_checksum(body));
        }
    }
    if secret.starts_with("github_pat_") {
        return r("GitHub (fine-grained)", "GH_TOKEN", None);
    }
    if secret.starts_with("glpat-") {
        return r("GitLab", "GITLAB_TOKEN", None);
    }
    // Bitwarden Secrets Manager access token: 0.<uuid>.<secret>:<key>
    if let Some(rest) = secret.strip_prefix("0.")
        && let Some((id, tail)) = rest.split_once('.')
        && is_uuid(id)
        && tail.contains(':')
    {
        return r("Bitwarden Secrets Manager", "BWS_ACCESS_TOKEN", None);
    }
    if secret.starts_with("npm_") {
        return r("npm", "NPM_TOKEN", None);
    }
    if secret.starts_with("pypi-") {
        return convention("PyPI", "PYPI_TOKEN");
    }
    if secret.starts_with("xoxb-") || secret.starts_with("xoxp-") {
        return convention("Slack", "SLACK_TOKEN");
    }
    if secret.starts_with("dop_v1_") {
        return r("DigitalOcean", "DIGITALOCEAN_ACCESS_TOKEN", None);
    }
    if secret.starts_with("hf_") {
        return r("Hugging Face", "HF_TOKEN", None);
    }
    None
}

/// The `exp` claim of a secret that is a JWT (`header.payload.signature`, base64url): when the
/// token says it stops working. The signature is not checked: tokctl only records what the
/// token claims about itself, as it would record what a provider's web page said.
pub fn jwt_expiry(secret: &str) -> Option<i64> {
    use base64::Engine as _;
    let mut parts = secret.split('.');
    let (header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || header.len() > 4096 || payload.len() > 48 * 1024 {
        return None;
    }
    let b64 = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let head: serde_json::Value = serde_json::from_slice(&b64.decode(header).ok()?).ok()?;
    head.get("alg")?;
    let claims: serde_json::Value = serde_json::from_slice(&b64.decode(payload).ok()?).ok()?;
    let exp = claims.get("exp")?;
    // NumericDate: seconds, possibly with a fraction; beyond year 9999 is nonsense.
    exp.as_i64().or_else(|| exp.as_f64().map(|f| f as i64)).filter(|&t| (1..=253_402_300_799).contains(&t))
}

/// The provider, when a token is one whose provider always sets an expiry (a GitHub
/// fine-grained token, by its prefix; a Gitpod token, by the token's name, as its secret has no
/// prefix of its own): imported without `--expires`, its record would say "never".
pub fn always_expires(name: &str, found: Option<&Recognised>) -> Option<&'static str> {
    match found {
        Some(f) if f.provider == "GitHub (fine-grained)" => Some(f.provider),
        _ if name.eq_ignore_ascii_case("gitpod") => Some("Gitpod"),
        _ => None,
    }
}

/// A provider whose CLI reads its token from a fixed variable, found by the token's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WellKnown {
    pub provider: &'static str,
    pub env: &'static str,
}

/// The names (case-insensitive) that mean a provider's token, and the variable its CLI reads.
/// Expo's and Choreo's tokens have no fixed prefix, so for them the name is all there is.
const NAMES: &[(&[&str], &str, &str)] = &[
    (&["expo", "eas"], "Expo", "EXPO_TOKEN"),
    (&["bws", "bitwarden"], "Bitwarden Secrets Manager", "BWS_ACCESS_TOKEN"),
    (&["gh", "github"], "GitHub", "GH_TOKEN"),
    (&["gitlab", "glab"], "GitLab", "GITLAB_TOKEN"),
    (&["npm"], "npm", "NPM_TOKEN"),
    (&["cargo", "crates-io", "crates.io"], "crates.io", "CARGO_REGISTRY_TOKEN"),
    (&["hf", "huggingface"], "Hugging Face", "HF_TOKEN"),
    (&["choreo"], "Choreo", "CHOREO_TOKEN"),
];

/// The provider a token name stands for, if it is one of the well-known names.
pub fn by_name(name: &str) -> Option<WellKnown> {
    let lower = name.to_ascii_lowercase();
    NAMES
        .iter()
        .find(|(names, _, _)| names.contains(&lower.as_str()))
        .map(|&(_, provider, env)| WellKnown { provider, env })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_usual_providers() {
        let random = "abcdefghijklmnopqrstuvwxyzABCD";
        let good = format!("ghp_{random}{}", base62_6(crc32fast::hash(random.as_bytes())));
        assert_eq!(recognise(&good).unwrap().checksum_ok, Some(true));
        let bad = format!("ghp_{random}000000");
        assert_eq!(recognise(&bad).unwrap().checksum_ok, Some(false));
        assert_eq!(recognise("glpat-xxxxxxxxxxxxxxxxxxxx").unwrap().env, "GITLAB_TOKEN");
        assert_eq!(
            recognise("0.48b4774c-68ff-4bc5-9c3a-d3e1b2f4a5c6.secretpart:keypart==").unwrap().env,
            "BWS_ACCESS_TOKEN"
        );
        assert_eq!(recognise("plain"), None);
        assert!(!recognise("pypi-AgEIcHlwaS5vcmc").unwrap().cli_reads);
    }

    #[test]
    fn a_jwt_says_when_it_expires() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"x","exp":1900000000} . signature
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjoxOTAwMDAwMDAwfQ.c2ln";
        assert_eq!(jwt_expiry(jwt), Some(1_900_000_000));
        // No exp claim; not a JWT at all; a Bitwarden token (three dot-separated parts).
        assert_eq!(jwt_expiry("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"), None);
        assert_eq!(jwt_expiry("a.b.c"), None);
        assert_eq!(jwt_expiry("0.48b4774c-68ff-4bc5-9c3a-d3e1b2f4a5c6.secretpart:keypart=="), None);
    }
}
