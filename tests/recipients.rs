//! Bundles sealed to named recipients (SPEC "Bundles for named recipients"): the reference `age`
//! CLI opens what tokctl writes, tokctl opens it with an age identity or an SSH key, bad input is
//! refused with its exit code and leaves everything as it was, and the vault names the bundles a
//! change makes stale until `bundle --refresh` re-seals them.

use std::path::{Path, PathBuf};

use crate::support::{Env, age, snapshot};

const GH: &str = "ghs-imported-secret-0123456789abcdef";
const NPM: &str = "npm-imported-secret-0123456789abcdef";

/// A vault with two tokens, and the people and machines a bundle is for: an age identity file
/// and SSH keys (ed25519 and RSA), their public lines in `recipients.txt`.
struct Team {
    env: Env,
    age_id: PathBuf,
    age_secret: String,
    ssh: PathBuf,
    rsa: PathBuf,
    list: PathBuf,
}

fn team() -> Option<Team> {
    if !age::tools() {
        return None;
    }
    let env = Env::env_key();
    env.import("gh", GH, &[]);
    env.import("npm", NPM, &[]);
    let keys = env.path("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let age_id = keys.join("ci.txt");
    let (recipient, age_secret) = age::keygen(&age_id);
    env.remember(&age_secret);
    let ssh = keys.join("id_ed25519");
    let rsa = keys.join("id_rsa");
    let ssh_pub = age::ssh_keygen(&ssh, "ed25519", "");
    let rsa_pub = age::ssh_keygen(&rsa, "rsa", "");
    let list = env.path("recipients.txt");
    std::fs::write(&list, format!("# the team\n{recipient}\n\n{ssh_pub}\n{rsa_pub}\n")).unwrap();
    Some(Team { env, age_id, age_secret, ssh, rsa, list })
}

impl Team {
    /// `tokctl bundle -t … --out OUT --to @recipients.txt`: nothing on stdout.
    fn bundle(&self, out: &Path, tokens: &[&str]) {
        let mut args = vec!["bundle".to_string()];
        for t in tokens {
            args.extend(["-t".to_string(), t.to_string()]);
        }
        args.extend(["--out".into(), out.display().to_string(), "--to".into(), format!("@{}", self.list.display())]);
        let out = self.env.succeeds(&args, b"");
        assert_eq!(out.stdout, "", "a recipient bundle prints no key\n{out}");
    }

    /// Run tokctl on the bundle at `b` with `var` = `value` and no vault key.
    fn on_bundle(&self, b: &Path, var: &str, value: &str, args: &[&str]) -> crate::support::Out {
        let mut c = self.env.std_cmd([&["--vault", b.to_str().unwrap()], args].concat().as_slice());
        c.env_remove("TOKCTL_VAULT_KEY").env(var, value);
        self.env.run_cmd(c, b"")
    }
}

#[test]
fn the_age_cli_opens_what_tokctl_seals_and_tokctl_opens_it_with_any_recipients_identity() {
    let Some(t) = team() else { return };
    let b = t.env.path("repo/.tokctl/ci.age");
    t.bundle(&b, &["gh", "npm"]);
    let bytes = std::fs::read(&b).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"), "a binary age file");
    assert!(!t.env.holds_a_secret(&String::from_utf8_lossy(&bytes)), "no secret in the clear");
    // The reference implementation decrypts it with each identity: the plaintext FORMAT.md gives.
    for id in [&t.age_id, &t.ssh, &t.rsa] {
        let out = age::decrypt(id, &b);
        assert_eq!(out.code, 0, "age -d -i {}\n{out}", id.display());
        assert!(out.stdout_bytes.starts_with(b"tokctl-recipient-bundle v1\n"), "{out}");
        assert!(out.stdout_bytes.windows(GH.len()).any(|w| w == GH.as_bytes()));
    }
    // tokctl opens it with the identity's text, an identity file, or an unencrypted SSH key.
    let ways = [
        ("TOKCTL_AGE_IDENTITY", t.age_secret.clone()),
        ("TOKCTL_AGE_IDENTITY_FILE", t.age_id.display().to_string()),
        ("TOKCTL_AGE_IDENTITY_FILE", t.ssh.display().to_string()),
        ("TOKCTL_AGE_IDENTITY_FILE", t.rsa.display().to_string()),
    ];
    for (var, value) in &ways {
        let out = t.on_bundle(&b, var, value, &["get", "gh"]);
        assert_eq!((out.code, out.stdout.as_str()), (0, format!("{GH}\n").as_str()), "{var}\n{out}");
    }
    let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY_FILE", t.ssh.to_str().unwrap(), &["list"]);
    assert!(out.stdout.contains("gh") && out.stdout.contains("npm"), "{out}");
    // Neither identity variable reaches a child of exec; the token does.
    let script = "echo \"id=${TOKCTL_AGE_IDENTITY:-none} file=${TOKCTL_AGE_IDENTITY_FILE:-none} gh=${GH_TOKEN:+set}\"";
    let mut c = t.env.std_cmd(&["--vault", b.to_str().unwrap(), "exec", "-t", "gh", "--", "sh", "-c", script]);
    c.env_remove("TOKCTL_VAULT_KEY").env("TOKCTL_AGE_IDENTITY", &t.age_secret).env("TOKCTL_AGE_IDENTITY_FILE", &t.ssh);
    let out = t.env.run_cmd(c, b"");
    assert_eq!(out.stdout, "id=none file=none gh=set\n", "{out}");
    // Reading it wrote nothing beside it.
    let dir: Vec<String> = std::fs::read_dir(b.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dir, vec!["ci.age".to_string()]);
}

#[test]
fn bad_recipients_identities_and_files_are_refused_with_their_code_and_change_nothing() {
    let Some(t) = team() else { return };
    let b = t.env.path("repo/ci.age");
    t.bundle(&b, &["gh"]);
    // What the refusals below are given: another identity, an encrypted SSH key and a bundle
    // sealed to it, a recipients file with a bad line.
    let other = t.env.path("keys/other.txt");
    let (_, other_secret) = age::keygen(&other);
    t.env.remember(&other_secret);
    let locked = t.env.path("keys/id_locked");
    let locked_pub = age::ssh_keygen(&locked, "ed25519", "a passphrase here");
    let b2 = t.env.path("repo/locked.age");
    t.env.succeeds(&["bundle", "-t", "gh", "--out", b2.to_str().unwrap(), "--to", &locked_pub], b"");
    let listed = t.env.write_file("bad-list.txt", b"# ok\nssh-ed25519 AAAAC3NotAKey\n");
    let before = snapshot(&t.env.root);

    // A malformed recipient: exit 2, naming it, nothing written.
    let out_new = t.env.path("repo/new.age");
    for bad in ["age1qqqqnotbech32", "ssh-ed25519 AAAAC3NotAKey", "alice@example.com"] {
        let out = t.env.fails(&["bundle", "-t", "gh", "--out", out_new.to_str().unwrap(), "--to", bad], b"", 2);
        assert!(out.stderr.contains(bad) && out.stderr.contains("recipient"), "{out}");
    }
    let arg = format!("@{}", listed.display());
    let out = t.env.fails(&["bundle", "-t", "gh", "--out", out_new.to_str().unwrap(), "--to", &arg], b"", 2);
    assert!(out.stderr.contains("line 2 of") && out.stderr.contains("bad-list.txt"), "{out}");

    // A wrong identity: exit 5.
    let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY", &other_secret, &["get", "gh"]);
    assert_eq!(out.code, 5, "{out}");
    assert!(out.stderr.contains("does not open the recipient bundle"), "{out}");
    let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY_FILE", other.to_str().unwrap(), &["get", "gh"]);
    assert_eq!(out.code, 5, "{out}");
    // No identity at all: exit 5 naming both variables.
    let mut c = t.env.std_cmd(&["--vault", b.to_str().unwrap(), "get", "gh"]);
    c.env_remove("TOKCTL_VAULT_KEY");
    let out = t.env.run_cmd(c, b"");
    assert_eq!(out.code, 5, "{out}");
    assert!(out.stderr.contains("TOKCTL_AGE_IDENTITY") && out.stderr.contains("TOKCTL_AGE_IDENTITY_FILE"), "{out}");
    // Not an identity at all.
    let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY", "AGE-SECRET-KEY-1NOTAKEY", &["get", "gh"]);
    assert_eq!(out.code, 5, "{out}");
    assert!(out.stderr.contains("TOKCTL_AGE_IDENTITY is set but is not an age identity"), "{out}");
    // An encrypted SSH key, with no prompt for its passphrase: exit 5, saying what to use.
    let out = t.on_bundle(&b2, "TOKCTL_AGE_IDENTITY_FILE", locked.to_str().unwrap(), &["get", "gh"]);
    assert_eq!(out.code, 5, "{out}");
    assert!(
        out.stderr.contains("is encrypted")
            && out.stderr.contains("unencrypted")
            && out.stderr.contains("age identity"),
        "{out}"
    );
    crate::support::assert_unchanged(&before, &snapshot(&t.env.root), &"refused input changes nothing");

    // A write to a recipient bundle: exit 2 naming `bundle --refresh`, the file as it was.
    let bytes = std::fs::read(&b).unwrap();
    for args in [
        vec!["create", "new", "--force"],
        vec!["revoke", "gh", "--yes"],
        vec!["update", "gh", "--note", "x"],
        vec!["delete", "gh", "--yes"],
        vec!["key", "export"],
    ] {
        let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY", &t.age_secret, &args);
        assert_eq!(out.code, 2, "{args:?}\n{out}");
        assert!(out.stderr.contains("bundle --refresh") && out.stderr.contains("read-only"), "{args:?}\n{out}");
        assert_eq!(std::fs::read(&b).unwrap(), bytes, "{args:?} left the bundle as it was");
    }

    // Cut short or changed: exit 6, whatever the identity.
    let cut = t.env.write_file("cut.age", &bytes[..bytes.len() - 7]);
    let mut flipped = bytes.clone();
    let at = flipped.len() - 20;
    flipped[at] ^= 0x01;
    let tampered = t.env.write_file("tampered.age", &flipped);
    // The header's MAC: the file key unwraps, the header does not authenticate.
    let mut header = bytes.clone();
    let at = header.windows(5).position(|w| w == b"\n--- ").unwrap() + 8;
    header[at] ^= 0x01;
    let bad_header = t.env.write_file("header.age", &header);
    for f in [&cut, &tampered, &bad_header] {
        let out = t.on_bundle(f, "TOKCTL_AGE_IDENTITY", &t.age_secret, &["get", "gh"]);
        assert_eq!(out.code, 6, "{}\n{out}", f.display());
        assert!(out.stderr.contains("damaged"), "{out}");
    }
    assert_eq!(std::fs::read(&b).unwrap(), bytes);
}

/// The bundles named in stderr as holding an old secret.
fn named_stale(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("still holds the old secret"))
        .map(|l| l.split_whitespace().nth(3).unwrap().to_string())
        .collect()
}

#[test]
fn regenerate_revoke_and_replace_name_the_stale_bundles_doctor_lists_them_and_refresh_reseals() {
    let Some(t) = team() else { return };
    let env = &t.env;
    let tok = env.create("deploy", &[]);
    let age_b = env.path("repo/ci.age");
    let key_b = env.path("repo/ci.vault");
    let other_b = env.path("repo/npm.age");
    t.bundle(&age_b, &["gh", "deploy"]);
    let key = env.ok(&["bundle", "-t", "deploy", "--out", key_b.to_str().unwrap()], b"").trim().to_string();
    env.remember(&key);
    t.bundle(&other_b, &["npm"]);
    let report = env.run(&["doctor"], b"");
    assert!(report.stdout.contains("✓ 3 bundle(s) this vault wrote hold today's secrets"), "{report}");

    // regenerate names both bundles holding `deploy`, not the npm one.
    let out = env.succeeds(&["regenerate", "deploy"], b"");
    let new = out.stdout.trim().to_string();
    env.remember(&new);
    assert_ne!(new, tok);
    let mut stale = named_stale(&out.stderr);
    stale.sort();
    assert_eq!(stale, vec![age_b.display().to_string(), key_b.display().to_string()], "{out}");
    // doctor lists them (exit 4, a bundle serves an old secret) and says which token changed.
    let report = env.run(&["doctor"], b"");
    assert_eq!(report.code, 4, "{report}");
    assert!(report.stdout.contains(&format!("{} holds an old secret ('deploy' has a new secret)", age_b.display())));
    assert!(report.stdout.contains(&format!("{} holds an old secret", key_b.display())), "{report}");
    assert!(!report.stdout.contains(&format!("{} holds", other_b.display())), "{report}");

    // refresh re-seals every stale bundle: the age one to the same recipients (the CI identity is
    // unchanged), the key one under a new key printed beside its path.
    let age_before = std::fs::read(&age_b).unwrap();
    let out = env.succeeds(&["bundle", "--refresh"], b"");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one key bundle, one PATH<TAB>KEY line\n{out}");
    let (path, new_key) = lines[0].split_once('\t').expect("PATH<TAB>KEY");
    env.remember(new_key);
    assert_eq!((path, new_key.starts_with("tokctl-key-v1-")), (key_b.to_str().unwrap(), true));
    assert_ne!(new_key, key);
    assert!(out.stderr.contains("new key"), "{out}");
    assert_ne!(std::fs::read(&age_b).unwrap(), age_before);
    let got = t.on_bundle(&age_b, "TOKCTL_AGE_IDENTITY_FILE", t.rsa.to_str().unwrap(), &["get", "deploy"]);
    assert_eq!(got.stdout.trim(), new, "{got}");
    let plain = age::decrypt(&t.age_id, &age_b);
    assert!(plain.stdout_bytes.windows(new.len()).any(|w| w == new.as_bytes()), "the same identity opens it");
    let mut c = env.std_cmd(&["--vault", key_b.to_str().unwrap(), "get", "deploy"]);
    c.env("TOKCTL_VAULT_KEY", new_key);
    assert_eq!(env.run_cmd(c, b"").stdout.trim(), new);
    assert_eq!(env.run(&["doctor"], b"").code, 0);
    // Nothing stale: nothing to do, and no key printed.
    let out = env.succeeds(&["bundle", "--refresh"], b"");
    assert!(out.stdout.is_empty() && out.stderr.contains("nothing to refresh"), "{out}");

    // import --replace and revoke name them too; a revoked token is dropped on refresh.
    env.ok(&["import", "npm", "--replace"], b"npm-second-secret-0123456789abcd\n");
    env.remember("npm-second-secret-0123456789abcd");
    let out = env.succeeds(&["import", "gh", "--replace"], b"ghs-second-secret-0123456789abcd\n");
    env.remember("ghs-second-secret-0123456789abcd");
    assert_eq!(named_stale(&out.stderr), vec![age_b.display().to_string()], "{out}");
    let out = env.succeeds(&["revoke", "deploy", "--yes"], b"");
    let mut stale = named_stale(&out.stderr);
    stale.sort();
    assert_eq!(stale, vec![age_b.display().to_string(), key_b.display().to_string()], "{out}");
    // Refreshing one FILE leaves the others stale; its key alone is printed, as `bundle` does.
    let out = env.succeeds(&["bundle", "--refresh", age_b.to_str().unwrap()], b"");
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("dropped 'deploy' (revoked)"), "{out}");
    let listed = t.on_bundle(&age_b, "TOKCTL_AGE_IDENTITY", &t.age_secret, &["list", "--all"]);
    assert!(listed.stdout.contains("gh") && !listed.stdout.contains("deploy"), "{listed}");
    let report = env.run(&["doctor"], b"");
    assert!(report.stdout.contains(&format!("{} holds an old secret", key_b.display())), "{report}");
    assert!(report.stdout.contains(&format!("{} holds an old secret ('npm'", other_b.display())), "{report}");
    assert!(!report.stdout.contains(&format!("{} holds", age_b.display())), "{report}");
    // Several at once: PATH<TAB>KEY for the key bundle, nothing for the age one.
    let out = env.succeeds(&["bundle", "--refresh", key_b.to_str().unwrap(), other_b.to_str().unwrap()], b"");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].starts_with(&format!("{}\t", key_b.display())), "{out}");
    env.remember(lines[0].split_once('\t').unwrap().1);
    // A file the vault never bundled: not found.
    let out = env.fails(&["bundle", "--refresh", env.path("elsewhere.age").to_str().unwrap()], b"", 3);
    assert!(out.stderr.contains("is not a bundle this vault wrote"), "{out}");
}

#[test]
fn a_bundle_moved_or_deleted_is_reported_and_forgotten_not_an_error() {
    let Some(t) = team() else { return };
    let env = &t.env;
    let b = env.path("repo/ci.age");
    t.bundle(&b, &["gh"]);
    let moved = env.path("repo/moved.age");
    std::fs::rename(&b, &moved).unwrap();
    let report = env.run(&["doctor"], b"");
    assert_eq!(report.code, 0, "a moved bundle is not a problem\n{report}");
    assert!(report.stdout.contains(&format!("{} is no longer there (moved or deleted)", b.display())), "{report}");
    let out = env.succeeds(&["regenerate", "gh"], b"ghs-third-secret-0123456789abcdef\n");
    env.remember("ghs-third-secret-0123456789abcdef");
    assert!(named_stale(&out.stderr).is_empty(), "a bundle that is gone holds nothing\n{out}");
    let out = env.succeeds(&["bundle", "--refresh"], b"");
    assert!(out.stderr.contains("no longer there (moved or deleted): forgotten"), "{out}");
    assert!(!b.exists(), "a moved bundle is not written again where it was");
    let report = env.run(&["doctor"], b"");
    assert!(!report.stdout.contains("no longer there"), "forgotten\n{report}");
    // The file that moved still opens; it holds the old secret, and nothing claims it is current.
    let out = t.on_bundle(&moved, "TOKCTL_AGE_IDENTITY", &t.age_secret, &["get", "gh"]);
    assert_eq!(out.stdout.trim(), GH, "{out}");
}

#[test]
fn doctor_on_a_recipient_bundle_says_what_it_is_and_whether_this_identity_opens_it() {
    let Some(t) = team() else { return };
    let b = t.env.path("repo/ci.age");
    t.bundle(&b, &["gh", "npm"]);
    let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY_FILE", t.ssh.to_str().unwrap(), &["doctor"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("recipient bundle") && out.stdout.contains("2 in all, 2 active"), "{out}");
    let out = t.on_bundle(&b, "TOKCTL_AGE_IDENTITY_FILE", "/nonexistent/id", &["doctor"]);
    assert_eq!(out.code, 5, "{out}");
}

/// `git ARGS` in `dir`, with a name for commits; it must succeed.
fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(ok.success(), "git {args:?}");
}

/// The README's "CI with an age identity" recipe, run as written: the bundle block on a
/// "laptop", both CI jobs in a clean environment (no keyring, no vault, `CI=true`) on a clone
/// holding only what was committed, then the refresh block, then the jobs again with the same
/// identity. The only substitutions are a CI service's: the secret `TOKCTL_AGE_IDENTITY` is the
/// identity's line, GitLab's File variable a file holding it.
#[test]
fn the_readme_age_identity_recipe_runs_as_written() {
    use crate::ci_recipe::{Ci, blocks, job, lines, project, readme};
    use std::process::Command;
    if !age::tools() {
        return;
    }
    let text = readme();
    let heading = "### CI with an age identity";
    let (sh, yaml) = (blocks(&text, heading, "sh"), blocks(&text, heading, "yaml"));
    assert_eq!((sh.len(), yaml.len()), (2, 2), "a bundle block, a refresh block and two jobs");
    let (gh, gl) = if yaml[0].contains("runs-on:") { (&yaml[0], &yaml[1]) } else { (&yaml[1], &yaml[0]) };
    let (github, gitlab) = (job(gh), job(gl));

    let env = Env::env_key();
    let expo = "expo-robot-token-0123456789";
    env.import("expo", expo, &[]);
    env.import("bws", "0.48b4774c-68ff-4bc5-9c3a-d3e1b2f4a5c6.secretpart:keypart==", &[]);
    let repo = project(&env.root);
    let path = format!("{}:{}", crate::ci_recipe::bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let laptop = |block: &str, stdin: &[u8]| {
        for line in lines(block) {
            let mut c = env.std_cmd_of("sh", &["-ec", &line]);
            c.current_dir(&repo).env("PATH", &path);
            let out = env.run_cmd(c, stdin);
            assert_eq!(out.code, 0, "README line failed: {line}\n{out}");
            assert_eq!(out.stdout, "", "no key is printed for a recipient bundle: {line}\n{out}");
        }
    };
    laptop(&sh[0], b"");
    let identity_file = env.root.join("ci-identity.txt");
    let identity = std::fs::read_to_string(&identity_file).expect("the recipe made the identity outside the repo");
    let identity = identity.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).unwrap().to_string();
    env.remember(&identity);
    git(&repo, &["add", "scripts"]);
    git(&repo, &["commit", "-qm", "ci"]);
    let checkout = env.root.join("checkout");
    git(&env.root, &["clone", "-q", repo.to_str().unwrap(), checkout.to_str().unwrap()]);
    assert!(checkout.join(".tokctl/ci.age").is_file() && checkout.join(".tokctl/ci.recipients").is_file());
    assert!(!checkout.join("ci-identity.txt").exists(), "the identity is not committed");

    // GitLab's File variable: the identity in a file outside the checkout.
    let gitlab_file = env.root.join("gitlab-var-file");
    std::fs::write(&gitlab_file, format!("{identity}\n")).unwrap();
    let ci = Ci::new(&env, &checkout);
    let run_both = |ci: &Ci| {
        for (job, extra) in [
            (&github, vec![("GITHUB_ACTIONS", "true")]),
            (&gitlab, vec![("GITLAB_CI", "true"), ("TOKCTL_AGE_IDENTITY_FILE", gitlab_file.to_str().unwrap())]),
        ] {
            let results = ci.run(job, &identity, &extra);
            let release = &results.iter().find(|(s, _)| s.contains("release.sh")).expect("a release step").1;
            assert!(release.stdout.contains("releasing with expo *** and bws ***"), "{release}");
            assert!(!env.holds_a_secret(&release.stdout) && !env.holds_a_secret(&release.stderr), "{release}");
        }
        let status = Command::new("git").args(["status", "--porcelain"]).current_dir(&checkout).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&status.stdout), "", "the CI steps left the checkout clean");
    };
    run_both(&ci);

    // A new expo token: the vault names the bundle, the refresh block re-seals it, CI's
    // secret stays the same and serves the new token.
    let new_expo = "expo-robot-token-second-987654";
    env.remember(new_expo);
    let lines_of = lines(&sh[1]);
    assert!(lines_of[0].starts_with("tokctl import expo --replace"), "{lines_of:?}");
    let mut c = env.std_cmd_of("sh", &["-ec", &lines_of[0]]);
    c.current_dir(&repo).env("PATH", &path);
    let out = env.run_cmd(c, format!("{new_expo}\n").as_bytes());
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains(".tokctl/ci.age still holds the old secret of 'expo'"), "{out}");
    laptop(&sh[1].replacen(&lines_of[0], "", 1), b"");
    git(&repo, &["commit", "-qm", "refresh the CI bundle"]);
    git(&checkout, &["pull", "-q"]);
    run_both(&ci);
    let mut c = env.std_cmd(&["--vault", checkout.join(".tokctl/ci.age").to_str().unwrap(), "get", "expo"]);
    c.env_remove("TOKCTL_VAULT_KEY").env("TOKCTL_AGE_IDENTITY", &identity);
    assert_eq!(env.run_cmd(c, b"").stdout.trim(), new_expo);
}

/// The README's team recipe, run as written: three members' public keys (ed25519 and RSA) as
/// recipients, the bundle committed; on a clone, a member runs the second block with the key in
/// their own `~/.ssh` and no vault of their own; a non-member's key opens nothing.
#[test]
fn the_readme_team_recipe_runs_as_written() {
    use crate::ci_recipe::{bin_dir, blocks, lines, readme};
    use std::process::Command;
    if !age::tools() {
        return;
    }
    let text = readme();
    let sh = blocks(&text, "### A team's bundle", "sh");
    assert_eq!(sh.len(), 2, "the bundle block and the member's block");
    let env = Env::env_key();
    env.import("npm", NPM, &[]);
    env.import("sentry", "sentry-auth-token-0123456789abcdef", &[]);
    let repo = env.path("team");
    std::fs::create_dir_all(&repo).unwrap();
    assert!(Command::new("git").args(["init", "-q"]).current_dir(&repo).status().unwrap().success());
    let keys = env.path("member-keys");
    std::fs::create_dir_all(&keys).unwrap();
    for (who, kind) in [("alice", "ed25519"), ("bob", "rsa"), ("deploy-host", "ed25519")] {
        let public = age::ssh_keygen(&keys.join(who), kind, "");
        std::fs::write(repo.join(format!("{who}.pub")), format!("{public}\n")).unwrap();
    }
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    for line in lines(&sh[0]) {
        let mut c = env.std_cmd_of("sh", &["-ec", &line]);
        c.current_dir(&repo).env("PATH", &path);
        let out = env.run_cmd(c, b"");
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "README line failed: {line}\n{out}");
    }
    git(&repo, &["commit", "-qm", "team bundle"]);
    let clone = env.path("clone");
    git(&env.root, &["clone", "-q", repo.to_str().unwrap(), clone.to_str().unwrap()]);
    // A member's machine: their key in ~/.ssh, an `npm` that says what it was given, no vault.
    let stubs = env.path("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let npm = stubs.join("npm");
    std::fs::write(&npm, "#!/bin/sh\necho \"npm $* NPM_TOKEN=${NPM_TOKEN:+set} SENTRY=${SENTRY_TOKEN:+set}\"\n")
        .unwrap();
    crate::support::set_mode(&npm, 0o755);
    let member = |key: &str| {
        let home = env.path(&format!("home-{key}"));
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::copy(keys.join(key), home.join(".ssh/id_ed25519")).unwrap();
        let mut c = env.std_cmd_of("sh", &["-ec", &sh[1]]);
        c.current_dir(&clone)
            .env("HOME", &home)
            .env("PATH", format!("{}:{path}", stubs.display()))
            .env_remove("TOKCTL_VAULT_KEY")
            .env("TOKCTL_VAULT", env.path("no-vault-here/vault.toml"));
        env.run_cmd(c, b"")
    };
    for who in ["alice", "deploy-host", "bob"] {
        let out = member(who);
        assert_eq!(out.code, 0, "{who}\n{out}");
        assert_eq!(out.stdout, "npm publish NPM_TOKEN=set SENTRY=\n", "{who}\n{out}");
    }
    // Someone whose key is not in the list: exit 5, nothing shown.
    age::ssh_keygen(&keys.join("mallory"), "ed25519", "");
    let out = member("mallory");
    assert_eq!(out.code, 5, "{out}");
    assert!(out.stdout.is_empty() && out.stderr.contains("does not open the recipient bundle"), "{out}");
}

/// The registry's fingerprints are keyed with the vault key: a new vault key (`key rotate`, a
/// passphrase change) carries them over, so it makes no bundle stale, and keeps a stale one stale.
#[test]
fn a_new_vault_key_makes_no_bundle_stale_and_keeps_a_stale_one_stale() {
    let Some(t) = team() else { return };
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "a passphrase for rotation");
    env.import("gh", GH, &[]);
    env.import("npm", NPM, &[]);
    let (a, b) = (env.path("a.age"), env.path("b.age"));
    for (out, name) in [(&a, "gh"), (&b, "npm")] {
        let to = format!("@{}", t.list.display());
        env.succeeds(&["bundle", "-t", name, "--out", out.to_str().unwrap(), "--to", &to], b"");
    }
    env.ok(&["import", "npm", "--replace"], b"npm-rotated-secret-0123456789abc\n");
    env.remember("npm-rotated-secret-0123456789abc");
    env.succeeds(&["key", "rotate"], b"");
    env.ok(&["key", "passphrase"], b"a second passphrase for it\n");
    env.set("TOKCTL_PASSPHRASE", "a second passphrase for it");
    let report = env.run(&["doctor"], b"");
    assert!(report.stdout.contains("✓ 1 bundle(s) this vault wrote hold today's secrets"), "{report}");
    assert!(report.stdout.contains(&format!("{} holds an old secret ('npm'", b.display())), "{report}");
    assert!(!report.stdout.contains(&format!("{} holds", a.display())), "{report}");
}

/// A refresh that finds another kind of file where a bundle was is exit 7 and writes nothing:
/// not the other stale bundles, not the vault, and prints no key.
#[test]
fn a_refresh_that_finds_a_stranger_at_a_bundles_path_writes_nothing() {
    let Some(t) = team() else { return };
    let env = &t.env;
    let (a, k) = (env.path("repo/a.age"), env.path("repo/k.vault"));
    t.bundle(&a, &["gh"]);
    let key = env.ok(&["bundle", "-t", "gh", "--out", k.to_str().unwrap()], b"");
    env.remember(key.trim());
    env.ok(&["import", "gh", "--replace"], b"ghs-replaced-secret-0123456789abc\n");
    env.remember("ghs-replaced-secret-0123456789abc");
    std::fs::write(&a, b"notes someone kept here\n").unwrap();
    let before = snapshot(&env.root);
    let out = env.fails(&["bundle", "--refresh"], b"", 7);
    assert!(out.stdout.is_empty() && out.stderr.contains("is no longer a tokctl bundle"), "{out}");
    crate::support::assert_unchanged(&before, &snapshot(&env.root), &out);
}
