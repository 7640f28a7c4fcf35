//! `tokctl inject`: templates filled with secrets for the config files tools read tokens from,
//! read back by the real tools where they run here (python's json, skopeo for a docker config).

use std::os::unix::fs::PermissionsExt;

use base64::Engine as _;

use crate::support::*;

/// A user with a GitHub-shaped token `gh`, a plain one `npm`, an expired `old` and a revoked
/// `gone`.
fn user() -> (Env, String, String) {
    let w = Env::env_key();
    let gh = "ghp_0123456789abcdefghijklmnopqrstuvwxyz".to_string();
    w.import("gh", &gh, &[]);
    let npm = "npm-\"quoted\"\\and\tmore".to_string();
    w.import("npm", &npm, &[]);
    w.create_expired("old", &[]);
    w.create("gone", &[]);
    w.ok(&["revoke", "gone", "--yes"], b"");
    (w, gh, npm)
}

#[test]
fn inject_fills_every_placeholder_with_its_filter_and_leaves_other_braces_alone() {
    let (w, gh, npm) = user();
    let template = concat!(
        "//registry.npmjs.org/:_authToken={{ tokctl:npm }}\n",
        "{\"token\": \"{{tokctl:npm|json}}\", \"b64\": \"{{ tokctl:gh | base64 }}\", \"helm\": \"{{ .Values.x }}\"}\n",
    );
    let out = w.succeeds(&["inject"], template.as_bytes());
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next().unwrap(), format!("//registry.npmjs.org/:_authToken={npm}"));
    let v: serde_json::Value = serde_json::from_str(lines.next().unwrap()).expect("valid JSON, the secret escaped");
    assert_eq!(v["token"], npm.as_str());
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(v["b64"].as_str().unwrap()).unwrap(), gh.as_bytes());
    assert_eq!(v["helm"], "{{ .Values.x }}");
    assert!(out.stderr.contains("injected npm, gh"), "the names used are said: {out}");
    let log = w.ok(&["log", "npm"], b"");
    assert!(log.contains("inject"), "a use of each token is logged: {log}");
}

#[test]
fn a_docker_config_made_by_inject_is_read_by_skopeo() {
    let (w, _, _) = user();
    let template = r#"{"auths": {"registry.example:5000": {"auth": "{{ tokctl:gh | basicauth }}"}}}"#;
    let config = w.path("config.json");
    w.succeeds(&["inject", "-o", config.to_str().unwrap()], template.as_bytes());
    let skopeo = std::process::Command::new("skopeo")
        .args(["login", "--get-login", "--authfile", config.to_str().unwrap(), "registry.example:5000"])
        .output()
        .expect("skopeo (apt package skopeo) runs");
    assert!(skopeo.status.success(), "{}", String::from_utf8_lossy(&skopeo.stderr));
    assert_eq!(String::from_utf8_lossy(&skopeo.stdout).trim(), "x-access-token", "the GitHub token's username");
}

#[test]
fn inject_writes_a_private_file_never_through_a_symlink_and_never_the_vault() {
    let (w, gh, _) = user();
    let out_path = w.path("out.conf");
    let victim = w.path("victim");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, &out_path).unwrap();
    w.succeeds(&["inject", "-o", out_path.to_str().unwrap()], b"t={{ tokctl:gh }}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me", "the link's target is untouched");
    let meta = std::fs::symlink_metadata(&out_path).unwrap();
    assert!(meta.is_file(), "the link was replaced by a file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), format!("t={gh}"));
    let before = w.snapshot();
    let out = w.fails(&["inject", "-o", w.vault.to_str().unwrap()], b"{{ tokctl:gh }}", 2);
    assert!(out.stderr.contains("the vault itself"), "{out}");
    assert_unchanged(&before, &w.snapshot(), &out);
}

#[test]
fn one_bad_placeholder_or_unusable_token_and_nothing_is_written() {
    let (w, _, _) = user();
    let out_path = w.path("out.conf");
    let template_file = w.write_file("t.tmpl", b"");
    for (template, code, says) in [
        ("a={{ tokctl:gh }} b={{ tokctl:missing }}", 3, "missing"),
        ("a={{ tokctl:gh }} b={{ tokctl:old }}", 4, "old"),
        ("a={{ tokctl:gh }} b={{ tokctl:gone }}", 4, "gone"),
        ("a={{ tokctl:gh | yaml }}", 2, "yaml"),
        ("a=\n{{ tokctl:gh\n}}", 2, "line 2"),
    ] {
        std::fs::write(&template_file, template).unwrap();
        for args in
            [vec!["inject"], vec!["inject", "-i", template_file.to_str().unwrap(), "-o", out_path.to_str().unwrap()]]
        {
            let stdin = if args.len() == 1 { template.as_bytes() } else { b"" };
            let out = w.fails(&args, stdin, code);
            assert!(out.stderr.contains(says), "{template:?}: names {says}\n{out}");
            assert_eq!(out.stdout, "", "{template:?}: nothing on stdout");
            assert!(!out_path.exists(), "{template:?}: no file");
        }
    }
}
