//! The one HTTP client tokctl has, for the remote store and for token providers: blocking
//! `ureq` over rustls (Mozilla's roots compiled in, or a private CA alone), a timeout on the
//! whole request, no redirects (a token is never carried to another address), https only unless
//! the address is plain http to this machine (then no proxy either: a proxy from the
//! environment would carry the token across a network in clear text), and answers read up to a
//! size cap. Secrets go in headers or bodies, never in a URL.

use std::time::Duration;

use zeroize::Zeroizing;

/// An agent for requests to `base` (scheme, host, port: `https://…` or loopback `http://…`),
/// each allowed `timeout` seconds in all, trusting `roots` alone when given.
pub fn agent(base: &str, timeout: u64, roots: Option<Vec<ureq::tls::Certificate<'static>>>) -> ureq::Agent {
    let https = base.starts_with("https://");
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(certs) = roots {
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let mut config = ureq::Agent::config_builder();
    if !https {
        config = config.proxy(None);
    }
    config
        .http_status_as_error(false)
        .https_only(https)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(timeout)))
        .tls_config(tls.build())
        .build()
        .into()
}

/// The methods tokctl sends.
#[derive(Clone, Copy)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

/// Send one request with `headers`; a POST carries `json` (zeroized once sent: it may hold a
/// secret).
pub fn send(
    agent: &ureq::Agent,
    verb: Verb,
    url: &str,
    headers: &[(&str, &str)],
    json: Option<&serde_json::Value>,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    macro_rules! with {
        ($r:expr) => {{
            let mut r = $r;
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r
        }};
    }
    match verb {
        Verb::Get => with!(agent.get(url)).call(),
        Verb::Delete => with!(agent.delete(url)).call(),
        Verb::Post => {
            let text = Zeroizing::new(json.unwrap_or(&serde_json::Value::Null).to_string());
            with!(agent.post(url)).header("Content-Type", "application/json").send(text.as_bytes())
        }
    }
}

/// An answer's body as JSON: `Null` when empty or not JSON.
pub fn json_of(text: &str) -> serde_json::Value {
    if text.trim().is_empty() { serde_json::Value::Null } else { serde_json::from_str(text).unwrap_or_default() }
}

/// Why a body could not be read: too large, or the transport failed.
pub enum BodyError {
    TooLarge,
    Transport(ureq::Error),
}

/// The answer's body as text, at most `limit` bytes; zeroized when dropped (it may hold a token).
pub fn body_text(res: &mut ureq::http::Response<ureq::Body>, limit: u64) -> Result<Zeroizing<String>, BodyError> {
    res.body_mut().with_config().limit(limit).read_to_string().map(Zeroizing::new).map_err(|e| match e {
        ureq::Error::BodyExceedsLimit(_) => BodyError::TooLarge,
        e => BodyError::Transport(e),
    })
}

/// Whether a transport error happened before the request could have reached the server (the
/// connection was never made), so the server certainly did not act on it.
pub fn never_sent(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Resolve | ureq::Timeout::Connect),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound | std::io::ErrorKind::AddrNotAvailable
        ),
        _ => false,
    }
}
