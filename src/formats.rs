//! Recognising well-known token formats on import, to suggest the usual environment variable
//! and catch a mistyped GitHub token (its last six characters are a CRC32 checksum).

/// What a secret looks like.
#[derive(Debug, PartialEq, Eq)]
pub struct Recognised {
    pub provider: &'static str,
    pub env: &'static str,
    /// `Some(false)` when the format carries a checksum and it does not match.
    pub checksum_ok: Option<bool>,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ASCII")
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
    let r = |provider, env, checksum_ok| Some(Recognised { provider, env, checksum_ok });
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
        return r("PyPI", "PYPI_TOKEN", None);
    }
    if secret.starts_with("xoxb-") || secret.starts_with("xoxp-") {
        return r("Slack", "SLACK_TOKEN", None);
    }
    if secret.starts_with("dop_v1_") {
        return r("DigitalOcean", "DIGITALOCEAN_ACCESS_TOKEN", None);
    }
    if secret.starts_with("hf_") {
        return r("Hugging Face", "HF_TOKEN", None);
    }
    None
}

/// Expo's docs call their access tokens EXPO_TOKEN; the tokens have no fixed prefix, so a token
/// is taken for Expo's by its name.
pub fn by_name(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "expo" | "eas" => Some("EXPO_TOKEN"),
        "bws" | "bitwarden" => Some("BWS_ACCESS_TOKEN"),
        "gh" | "github" => Some("GH_TOKEN"),
        "gitlab" | "glab" => Some("GITLAB_TOKEN"),
        "choreo" => Some("CHOREO_TOKEN"),
        _ => None,
    }
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
    }
}
