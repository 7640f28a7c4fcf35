//! `docker-credential-tokctl`: the docker credential-helper protocol, spoken to the real skopeo
//! (`credHelpers` in its auth file) against Debian's `docker-registry` (the distribution
//! registry) with htpasswd auth on 127.0.0.1: login stores, copies in and out read, logout
//! erases. The protocol's own edge cases against docker-credential-helpers' documentation.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::support::*;

struct Registry {
    child: Child,
    port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The distribution registry on 127.0.0.1, letting in only `user`:`password` (bcrypt htpasswd).
fn registry(root: &Path, user: &str, password: &str) -> Registry {
    let htpasswd =
        Command::new("htpasswd").args(["-Bbn", user, password]).output().expect("htpasswd (apache2-utils) runs");
    assert!(htpasswd.status.success());
    std::fs::write(root.join("htpasswd"), &htpasswd.stdout).unwrap();
    let port = free_port();
    let config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: tokctl-test\n    path: {}\n",
        root.join("data").display(),
        root.join("htpasswd").display()
    );
    std::fs::write(root.join("config.yml"), config).unwrap();
    let child = Command::new("docker-registry")
        .args(["serve", root.join("config.yml").to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry (apt package docker-registry) runs");
    wait_until("the registry to listen", Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    Registry { child, port }
}

/// A one-layer OCI image layout at `dir`, tagged `v1`, written by hand (no network).
fn oci_image(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let digest = format!("{:x}", Sha256::digest(bytes));
        std::fs::write(blobs.join(&digest), bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let layer = vec![0u8; 1024]; // an empty tar: two zero blocks
    let (layer_digest, layer_size) = put(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
    );
    let (config_digest, config_size) = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = put(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#
        ),
    )
    .unwrap();
}

/// A directory holding `docker-credential-tokctl`, a link to tokctl, for PATH.
fn helper_dir(w: &Env) -> PathBuf {
    let bin = w.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("docker-credential-tokctl")).unwrap();
    bin
}

/// skopeo with tokctl as the helper for `registry`, through an auth file of its own.
fn skopeo(w: &Env, bin: &Path, registry: &str, args: &[&str]) -> Command {
    let auth = w.path("auth.json");
    std::fs::write(&auth, format!(r#"{{"credHelpers": {{"{registry}": "tokctl"}}}}"#)).unwrap();
    let mut c = w.std_cmd_of("skopeo", args);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    c.env("PATH", path).env("REGISTRY_AUTH_FILE", &auth);
    c
}

/// `docker-credential-tokctl ACTION` with `stdin`.
fn helper(w: &Env, bin: &Path, action: &str, stdin: &str) -> Out {
    let c = w.std_cmd_of(bin.join("docker-credential-tokctl"), &[action]);
    w.run_cmd(c, stdin.as_bytes())
}

#[test]
fn skopeo_logs_in_copies_in_and_out_and_logs_out_through_tokctl() {
    let w = Env::env_key();
    let password = "registry-password-for-the-test-0001";
    let root = w.path("reg");
    std::fs::create_dir_all(&root).unwrap();
    let reg = registry(&root, "alice", password);
    let host = format!("127.0.0.1:{}", reg.port);
    let bin = helper_dir(&w);
    let image = w.path("image");
    oci_image(&image);
    let dest = format!("docker://{host}/tokctl/test:v1");
    let copy_in = |w: &Env| {
        w.run_cmd(
            skopeo(w, &bin, &host, &["copy", "--dest-tls-verify=false", &format!("oci:{}:v1", image.display()), &dest]),
            b"",
        )
    };
    let out = copy_in(&w);
    assert_ne!(out.code, 0, "the registry wants a login\n{out}");

    let out = w.run_cmd(
        skopeo(&w, &bin, &host, &["login", "--tls-verify=false", "--username", "alice", "--password-stdin", &host]),
        password.as_bytes(),
    );
    assert_eq!(out.code, 0, "skopeo login stores through the helper\n{out}");
    w.remember(password);
    let name = format!("127.0.0.1-{}", reg.port);
    let shown = w.json(&["show", &name, "--json"]);
    assert_eq!(shown["hosts"], serde_json::json!([host]), "{shown}");
    assert_eq!(shown["username"], "alice");
    assert!(!std::fs::read_to_string(w.path("auth.json")).unwrap().contains(password), "the auth file holds no secret");

    let out = copy_in(&w);
    assert_eq!(out.code, 0, "copied in with tokctl's answer\n{out}");
    let back = w.path("back");
    let out = w.run_cmd(
        skopeo(&w, &bin, &host, &["copy", "--src-tls-verify=false", &dest, &format!("oci:{}:v1", back.display())]),
        b"",
    );
    assert_eq!(out.code, 0, "and out\n{out}");
    let log = w.ok(&["log", &name], b"");
    assert!(log.contains(&format!("docker {host}")), "each answer is a use: {log}");
    let list = helper(&w, &bin, "list", "");
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[&host], "alice", "{list}");

    let out = w.run_cmd(skopeo(&w, &bin, &host, &["logout", &host]), b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(!w.ok(&["list", "--all"], b"").contains(&name), "logout erased the token store made");
    let out = copy_in(&w);
    assert_ne!(out.code, 0, "and the registry says no again\n{out}");
}

#[test]
fn the_protocols_edges_answer_as_docker_credential_helpers_documents() {
    let w = Env::env_key();
    let bin = helper_dir(&w);
    // Nothing stored yet, and nothing for an unknown server: the documented message, exit 1.
    for action in ["get", "erase"] {
        let out = helper(&w, &bin, action, "https://unknown.example\n");
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (1, "credentials not found in native keychain\n"),
            "{action}: {out}"
        );
    }
    assert_eq!(helper(&w, &bin, "list", "").stdout.trim(), "{}");

    // store, get of every docker hub spelling, list.
    let store =
        r#"{"ServerURL":"https://index.docker.io/v1/","Username":"bob","Secret":"hub-secret-for-the-test-0001"}"#;
    w.remember("hub-secret-for-the-test-0001");
    assert_eq!(helper(&w, &bin, "store", store).code, 0);
    for url in ["https://index.docker.io/v1/", "docker.io", "registry-1.docker.io"] {
        let out = helper(&w, &bin, "get", url);
        let v: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("JSON for {url}: {out}"));
        assert_eq!((v["Username"].as_str(), v["Secret"].as_str()), (Some("bob"), Some("hub-secret-for-the-test-0001")));
        assert_eq!(v["ServerURL"], url);
    }
    // A second store for the same registry replaces the secret of the same token.
    let again = r#"{"ServerURL":"docker.io","Username":"bob","Secret":"hub-secret-for-the-test-0002"}"#;
    w.remember("hub-secret-for-the-test-0002");
    assert_eq!(helper(&w, &bin, "store", again).code, 0);
    assert_eq!(w.names(), ["docker.io"]);

    // A token the user made for a registry is used, never deleted by erase (logged instead).
    w.import("ghcr", "ghcr-token-for-the-test-0001", &["--host", "ghcr.io"]);
    let out = helper(&w, &bin, "erase", "ghcr.io\n");
    assert_eq!(out.code, 0, "{out}");
    assert!(w.names().contains(&"ghcr".to_string()));
    assert!(w.ok(&["log", "ghcr"], b"").contains("rejected"));
    // store for that registry does not overwrite the user's token.
    let out = helper(&w, &bin, "store", r#"{"ServerURL":"ghcr.io","Username":"x","Secret":"other-secret-0001"}"#);
    assert_eq!(out.code, 7, "{out}");

    // Bad input: exit 2, nothing stored, the secret never echoed.
    let before = w.snapshot();
    for bad in [
        r#"{"ServerURL":"docker.io","Username":"bob","Secret":"#,
        "not json",
        r#"{"ServerURL":"not a host","Username":"u","Secret":"secret-in-bad-input-01"}"#,
    ] {
        let out = helper(&w, &bin, "store", bad);
        assert_eq!(out.code, 2, "{bad}: {out}");
        assert!(!out.stderr.contains("secret-in-bad-input"), "{out}");
    }
    assert_unchanged(&before, &w.snapshot(), &"bad store input");
}
