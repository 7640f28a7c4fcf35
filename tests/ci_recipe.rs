//! The README's CI recipe, run as written: the bundle block on a "laptop", then every step of the
//! GitHub Actions and GitLab jobs in a clean environment (a new HOME, no keyring, no TOKCTL_VAULT,
//! `CI=true`), in a scratch git repository holding only what the recipe committed.
//!
//! The steps are taken from README.md itself, so a recipe that stops working fails here. Only two
//! things are substituted, as a CI service would: `${{ secrets.TOKCTL_VAULT_KEY }}` becomes the
//! key `tokctl bundle` printed, and the `cargo install` step either is skipped (the binary under
//! test is on PATH) or, in the test marked `#[ignore]` that CI runs once, installs from a local
//! clone of this repository by `file://` URL.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{BIN, Env, Out, run_std};

pub(crate) fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README.md")
}

/// The fenced blocks of `lang` in the section that starts with `heading`, up to the next `## `
/// or `### ` heading.
pub(crate) fn blocks(text: &str, heading: &str, lang: &str) -> Vec<String> {
    let start = text.find(heading).unwrap_or_else(|| panic!("README has no '{heading}'"));
    let rest = &text[start + heading.len()..];
    let end = [rest.find("\n## "), rest.find("\n### ")].into_iter().flatten().min();
    let section = &rest[..end.unwrap_or(rest.len())];
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut at = section;
    while let Some(i) = at.find(&fence) {
        let body = &at[i + fence.len()..];
        let end = body.find("```").expect("a closed block");
        out.push(body[..end].to_string());
        at = &body[end..];
    }
    out
}

/// A CI job from a YAML block: its variables and its shell lines, in order. A small reader for
/// the shapes the README uses (`env:`/`variables:` maps, `- run:` steps, `script:` lists).
#[derive(Debug, Default)]
pub(crate) struct Job {
    vars: Vec<(String, String)>,
    steps: Vec<String>,
}

pub(crate) fn job(yaml: &str) -> Job {
    let mut j = Job::default();
    let mut in_vars = None::<usize>;
    let mut in_script = None::<usize>;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if in_vars.is_some_and(|i| indent <= i) {
            in_vars = None;
        }
        if in_script.is_some_and(|i| indent < i || (indent == i && !t.starts_with("- "))) {
            in_script = None;
        }
        if t == "env:" || t == "variables:" {
            in_vars = Some(indent);
        } else if t == "script:" {
            in_script = Some(indent);
        } else if in_vars.is_some() {
            let (k, v) = t.split_once(": ").unwrap_or_else(|| panic!("a variable line: {line}"));
            j.vars.push((k.to_string(), v.trim().to_string()));
        } else if let Some(cmd) = t.strip_prefix("- run: ") {
            j.steps.push(cmd.to_string());
        } else if let (Some(_), Some(cmd)) = (in_script, t.strip_prefix("- ")) {
            j.steps.push(cmd.to_string());
        }
    }
    j
}

struct Recipe {
    bundle: String,
    github: Job,
    gitlab: Job,
}

fn recipe() -> Recipe {
    let text = readme();
    let sh = blocks(&text, "### CI with a bundle", "sh");
    let yaml = blocks(&text, "### CI with a bundle", "yaml");
    assert_eq!((sh.len(), yaml.len()), (1, 2), "the CI section has one sh block and two YAML jobs");
    let (gh, gl) = if yaml[0].contains("runs-on:") { (&yaml[0], &yaml[1]) } else { (&yaml[1], &yaml[0]) };
    Recipe { bundle: sh[0].clone(), github: job(gh), gitlab: job(gl) }
}

/// The shell lines of a block, without comments.
pub(crate) fn lines(block: &str) -> Vec<String> {
    block
        .lines()
        .map(|l| match l.find("   #") {
            Some(i) => l[..i].trim_end(),
            None => l.trim_end(),
        })
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

pub(crate) fn bin_dir() -> PathBuf {
    Path::new(BIN).parent().expect("the binary's directory").to_path_buf()
}

/// The scratch repository the recipe works in, with the scripts a project would have.
pub(crate) fn project(root: &Path) -> PathBuf {
    let repo = root.join("project");
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    let ok = Command::new("git").args(["init", "-q"]).current_dir(&repo).status().expect("git");
    assert!(ok.success());
    write_exe(
        &repo.join("scripts/release.sh"),
        "#!/bin/sh\nset -e\ntest -n \"$EXPO_TOKEN\" && test -n \"$BWS_ACCESS_TOKEN\"\n\
         echo \"releasing with expo $EXPO_TOKEN and bws $BWS_ACCESS_TOKEN\"\n",
    );
    repo
}

fn write_exe(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The laptop side: a personal vault holding the provider tokens, and the README's bundle block
/// run line by line in the project. Returns the bundle's key.
fn laptop(env: &Env, repo: &Path, block: &str) -> String {
    env.import("expo", "expo-robot-token-0123456789", &[]);
    env.import("bws", "0.48b4774c-68ff-4bc5-9c3a-d3e1b2f4a5c6.secretpart:keypart==", &[]);
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let mut key = None;
    for line in lines(block) {
        let mut c = env.std_cmd_of("sh", &["-ec", &line]);
        c.current_dir(repo).env("PATH", &path);
        let out = run_std(c, b"");
        assert_eq!(out.code, 0, "README line failed: {line}\n{out}");
        if line.starts_with("tokctl bundle") {
            key = Some(out.stdout.trim().to_string());
        }
    }
    let key = key.expect("the block runs `tokctl bundle`");
    assert!(key.starts_with("tokctl-key-v1-"), "{key}");
    key
}

/// Where a CI step runs: a clean environment with a new HOME and no keyring.
pub(crate) struct Ci {
    root: PathBuf,
    repo: PathBuf,
    stubs: PathBuf,
    /// Where `cargo install` put tokctl (the ignored test), else the binary under test.
    tokctl_dir: PathBuf,
    install: Option<String>,
}

impl Ci {
    pub(crate) fn new(env: &Env, repo: &Path) -> Ci {
        let stubs = env.root.join("stubs");
        std::fs::create_dir_all(&stubs).unwrap();
        // No eas-cli here: a stand-in says what it was given.
        write_exe(
            &stubs.join("npx"),
            "#!/bin/sh\necho \"npx $* EXPO_TOKEN=${EXPO_TOKEN:+set} BWS_ACCESS_TOKEN=${BWS_ACCESS_TOKEN:+set}\"\n",
        );
        std::fs::create_dir_all(env.root.join("ci-home")).unwrap();
        Ci { root: env.root.clone(), repo: repo.to_path_buf(), stubs, tokctl_dir: bin_dir(), install: None }
    }

    pub(crate) fn run(&self, job: &Job, key: &str, extra: &[(&str, &str)]) -> Vec<(String, Out)> {
        let home = self.root.join("ci-home");
        let orig_home = std::env::var("HOME").unwrap_or_default();
        let mut results = Vec::new();
        for step in &job.steps {
            let mut c = Command::new("bash");
            c.args(["-ec", step]).current_dir(&self.repo).env_clear();
            let path = format!(
                "{}:{}:{}",
                self.stubs.display(),
                self.tokctl_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            );
            c.env("PATH", path)
                .env("HOME", &home)
                .env("CI", "true")
                .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
                // cargo keeps its registry and toolchains where they are, not in the new HOME.
                .env("CARGO_HOME", std::env::var("CARGO_HOME").unwrap_or(format!("{orig_home}/.cargo")))
                .env("RUSTUP_HOME", std::env::var("RUSTUP_HOME").unwrap_or(format!("{orig_home}/.rustup")));
            for (k, v) in &job.vars {
                let v = match v.as_str() {
                    // The job's one secret: a bundle key, or an age identity (tests/recipients.rs).
                    "${{ secrets.TOKCTL_VAULT_KEY }}" | "${{ secrets.TOKCTL_AGE_IDENTITY }}" => key.to_string(),
                    v => {
                        assert!(!v.contains("${{"), "an expression the test does not know: {v}");
                        v.to_string()
                    }
                };
                c.env(k, v);
            }
            for (k, v) in extra {
                c.env(k, v);
            }
            if step.starts_with("cargo install") {
                assert!(step.contains("--git \"$TOKCTL_GIT_URL\"") && !step.contains("--path"), "{step}");
                assert!(job.vars.iter().any(|(k, _)| k == "TOKCTL_GIT_URL"), "the job defines TOKCTL_GIT_URL");
                let Some(url) = &self.install else { continue };
                c.env("TOKCTL_GIT_URL", url)
                    .env("CARGO_INSTALL_ROOT", self.root.join("install"))
                    .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-recipe"))
                    // Fast enough to run in CI: what is tested is that the install finds one
                    // package and builds it from the committed files, not the optimiser.
                    .env("CARGO_PROFILE_RELEASE_LTO", "false")
                    .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
                    .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
                    .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
            }
            let out = run_std(c, b"");
            assert_eq!(out.code, 0, "README step failed: {step}\n{out}");
            results.push((step.clone(), out));
        }
        results
    }
}

const EXPO: &str = "expo-robot-token-0123456789";

fn check_github(results: &[(String, Out)], github_env: &Path) {
    let out = |prefix: &str| {
        &results.iter().find(|(s, _)| s.starts_with(prefix)).unwrap_or_else(|| panic!("a step `{prefix}…`")).1
    };
    let release = out("tokctl exec --mask");
    assert!(release.stdout.contains("releasing with expo *** and bws ***"), "{release}");
    assert!(!release.stdout.contains(EXPO), "masked\n{release}");
    let eas = out("tokctl exec -t expo");
    assert!(eas.stdout.contains("eas-cli build") && eas.stdout.contains("EXPO_TOKEN=set BWS_ACCESS_TOKEN=\n"), "{eas}");
    let env = out("tokctl env --format github");
    assert!(env.stdout.contains(&format!("::add-mask::{EXPO}")), "{env}");
    let appended = std::fs::read_to_string(github_env).unwrap();
    assert!(appended.contains("EXPO_TOKEN<<") && appended.contains("BWS_ACCESS_TOKEN<<"), "{appended}");
}

fn run_recipe(install: Option<String>) {
    let r = recipe();
    let env = Env::env_key();
    let repo = project(&env.root);
    let key = laptop(&env, &repo, &r.bundle);
    // What CI sees: the committed files only (the project's own scripts are committed too).
    let checkout = env.root.join("checkout");
    assert!(Command::new("git").args(["add", "scripts"]).current_dir(&repo).status().unwrap().success());
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "ci"])
        .current_dir(&repo)
        .status()
        .unwrap();
    assert!(ok.success());
    let ok = Command::new("git").args(["clone", "-q"]).arg(&repo).arg(&checkout).status().unwrap();
    assert!(ok.success());
    assert!(checkout.join(".tokctl/ci.vault").is_file() && checkout.join(".tokctl.toml").is_file());
    let mut ci = Ci::new(&env, &checkout);
    if install.is_some() {
        ci.install = install;
        ci.tokctl_dir = env.root.join("install/bin");
    }
    let github_env = env.root.join("github_env");
    let gh = ci.run(&r.github, &key, &[("GITHUB_ACTIONS", "true"), ("GITHUB_ENV", github_env.to_str().unwrap())]);
    check_github(&gh, &github_env);
    // GitLab keeps the key as a masked CI/CD variable, set in the project's settings.
    let gl = ci.run(&r.gitlab, &key, &[("GITLAB_CI", "true"), ("TOKCTL_VAULT_KEY", &key)]);
    let release = &gl.iter().find(|(s, _)| s.contains("release.sh")).expect("a release step").1;
    assert!(release.stdout.contains("releasing with expo *** and bws ***"), "{release}");
    // Nothing was written beside the bundle, and the checkout is as committed.
    let status = Command::new("git").args(["status", "--porcelain"]).current_dir(&checkout).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "", "the CI steps left the checkout clean");
}

#[test]
fn the_readme_ci_recipe_runs_as_written() {
    run_recipe(None);
}

/// `cargo install --locked --git URL` as the README's jobs run it, from a local clone of this
/// repository's HEAD, then the whole recipe with the installed binary. Slow (a release build;
/// incremental in target/ci-recipe), so CI runs it once: `cargo test --test tests -- --ignored ci_recipe`.
#[test]
#[ignore]
fn the_readme_ci_recipe_installs_tokctl_from_a_git_url() {
    let tmp = tempfile::Builder::new().prefix("tokctl-clone-").tempdir().unwrap();
    let clone = tmp.path().join("tokctl.git");
    let ok = Command::new("git")
        .args(["clone", "-q", "--bare", env!("CARGO_MANIFEST_DIR")])
        .arg(&clone)
        .status()
        .expect("git");
    assert!(ok.success());
    run_recipe(Some(format!("file://{}", clone.display())));
}
