//! The Secret Service: whether one answers, what it holds for tokctl, and throw-away ones for
//! fault tests (a private gnome-keyring that can be locked, a bus that never answers).

use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use super::{Out, Running, run_std, wait_for_file, wait_until};

/// Panic unless the session bus's Secret Service answers, and is still the daemon that
/// answered first: when it dies, the next client D-Bus-activates an empty one, and every
/// keyring test after that fails for a reason none of them names.
pub fn require_keyring() {
    static FIRST: OnceLock<Result<u32, String>> = OnceLock::new();
    let first = FIRST.get_or_init(|| {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err("DBUS_SESSION_BUS_ADDRESS is not set".into());
        }
        secret_service_pid()
    });
    let first = match first {
        Ok(pid) => *pid,
        Err(why) => panic!(
            "this test needs a real Secret Service and none is reachable ({why}): \
             run under .ci/with-keyring, e.g. `.ci/with-keyring cargo test`"
        ),
    };
    match secret_service_pid() {
        Ok(pid) if pid == first => {}
        now => panic!(
            "the shared Secret Service (gnome-keyring, pid {first}) is gone (now: {now:?}); an earlier \
             test crashed it, and no keyring test can pass after that: see `keyring_load`"
        ),
    }
}

/// The pid of the process that owns `org.freedesktop.secrets` on the session bus. Asking does
/// not start one.
fn secret_service_pid() -> Result<u32, String> {
    let mut c = Command::new("dbus-send");
    c.args([
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.GetConnectionUnixProcessID",
        "string:org.freedesktop.secrets",
    ]);
    let out = run_std(c, b"");
    out.stdout
        .split_whitespace()
        .skip_while(|w| *w != "uint32")
        .nth(1)
        .and_then(|pid| pid.parse().ok())
        .ok_or_else(|| format!("org.freedesktop.secrets has no owner on the session bus: {}", out.stderr.trim()))
}

/// Taken by the tests that load the shared Secret Service hardest (tens of clients at once, or
/// clients killed in the middle of a call), so that no two of them run together. gnome-keyring
/// has an upstream race (`gkd_secret_service_get_pkcs11_session: assertion 'client' failed`)
/// that aborts the daemon when clients come and go fast enough; two such tests at once on a
/// busy machine have hit it.
pub fn keyring_load() -> MutexGuard<'static, ()> {
    static LOAD: Mutex<()> = Mutex::new(());
    LOAD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `secret-tool ARGS…` on the test session's keyring, with `stdin`.
pub fn secret_tool(args: &[&str], stdin: &[u8]) -> Out {
    require_keyring();
    let mut c = Command::new("secret-tool");
    c.args(args);
    let out = run_std(c, stdin);
    assert_ne!(out.code, 127, "secret-tool is needed (package libsecret-tools)\n{out}");
    out
}

/// The key the OS keyring holds under an account (a vault id, or `<id>+pending`), if any.
pub fn keyring_key(account: &str) -> Option<String> {
    let out = secret_tool(&["lookup", "service", "tokctl", "username", account], b"");
    let s = out.stdout.trim().to_string();
    (out.code == 0 && !s.is_empty()).then_some(s)
}

/// Put `key` (exported text) in the OS keyring under `account`, as tokctl would.
pub fn keyring_store(account: &str, key: &str) {
    let label = "--label=tokctl vault key (test)";
    let out = secret_tool(&["store", label, "service", "tokctl", "username", account], key.as_bytes());
    assert_eq!(out.code, 0, "{out}");
}

/// How many keyring entries are labelled with this vault path (tokctl labels each entry
/// `tokctl vault key (<path>)`).
pub fn keyring_entries_for(vault: &Path) -> usize {
    let out = secret_tool(&["search", "--all", "service", "tokctl"], b"");
    let label = format!("label = tokctl vault key ({})", vault.display());
    (out.stdout + &out.stderr).lines().filter(|l| l.trim() == label).count()
}

/// A separate D-Bus session with its own unlocked gnome-keyring, as `.ci/with-keyring` makes,
/// but for one test: it can be locked, or play "another machine", without touching the session
/// every other test shares. Torn down when dropped.
pub struct PrivateKeyring {
    session: Running<'static>,
    pub address: String,
    /// The `sleep` that keeps the session alive, and the keyring daemon.
    holder: u32,
    daemon: u32,
    dir: tempfile::TempDir,
}

impl PrivateKeyring {
    pub fn start() -> PrivateKeyring {
        let dir = tempfile::Builder::new().prefix("tokctl-keyring-").tempdir().expect("temp dir");
        for sub in ["data", "run", "cache"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let script = r#"
eval "$(printf 'throw-away-password\n' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
i=0
until owned; do i=$((i+1)); [ "$i" -gt 200 ] && { echo 'gnome-keyring never took the bus name' >&2; exit 3; }; sleep 0.05; done
daemon=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ {print $2}')
printf '%s\n%s\n%s\n' "$DBUS_SESSION_BUS_ADDRESS" "$$" "$daemon" > "$1/ready.tmp"
mv "$1/ready.tmp" "$1/ready"
exec sleep 600
"#;
        let mut c = Command::new("dbus-run-session");
        c.args(["--", "sh", "-c", script, "sh"])
            .arg(dir.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("GNOME_KEYRING_CONTROL")
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", dir.path().join("run"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"));
        let mut session = Running::spawn(c);
        let ready = dir.path().join("ready");
        wait_until("the private keyring to come up", Duration::from_secs(20), || {
            if let Some(code) = session.exited() {
                panic!("the private keyring session ended (exit {code}) before it was ready: {}", session.output());
            }
            ready.exists().then_some(())
        });
        let text = wait_for_file(&ready, Duration::from_secs(1));
        let mut lines = text.lines();
        let address = lines.next().unwrap().to_string();
        let holder = lines.next().unwrap().parse().unwrap();
        let daemon = lines.next().unwrap().trim().parse().unwrap_or(0);
        PrivateKeyring { session, address, holder, daemon, dir }
    }

    fn command(&self, program: &str, args: &[&str]) -> Out {
        let mut c = Command::new(program);
        c.args(args).env("DBUS_SESSION_BUS_ADDRESS", &self.address).env("HOME", self.dir.path());
        run_std(c, b"")
    }

    /// `secret-tool search --all service tokctl` here: stdout and stderr together.
    pub fn tokctl_entries(&self) -> String {
        let out = self.command("secret-tool", &["search", "--all", "service", "tokctl"]);
        out.stdout + &out.stderr
    }

    /// Call a method of the Secret Service on this session's bus.
    fn secret_service(&self, method: &str, arg: &str) -> Out {
        let method = format!("org.freedesktop.Secret.Service.{method}");
        self.command(
            "dbus-send",
            &["--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets", &method, arg],
        )
    }

    /// Object paths of the items with these attributes, as (unlocked, locked).
    pub fn search_items(&self, attrs: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
        let dict: Vec<String> = attrs.iter().map(|(k, v)| format!("{k},{v}")).collect();
        let out = self.secret_service("SearchItems", &format!("dict:string:string:{}", dict.join(",")));
        assert_eq!(out.code, 0, "SearchItems\n{out}");
        let mut arrays: Vec<Vec<String>> = Vec::new();
        for line in out.stdout.lines() {
            let l = line.trim();
            if l.starts_with("array [") {
                arrays.push(Vec::new());
            } else if let Some(p) = l.strip_prefix("object path \"").and_then(|p| p.strip_suffix('"')) {
                arrays.last_mut().expect("inside an array").push(p.to_string());
            }
        }
        assert_eq!(arrays.len(), 2, "SearchItems returns (unlocked, locked)\n{out}");
        (arrays[0].clone(), arrays[1].clone())
    }

    pub fn lock(&self, collection: &str) {
        let out = self.secret_service("Lock", &format!("array:objpath:{collection}"));
        assert_eq!(out.code, 0, "Lock {collection}\n{out}");
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        // The holder exiting ends dbus-run-session, which stops its bus; the daemon is stopped
        // by its pid (a child of this test's session, started above). `session` is killed when
        // dropped if it has not ended within the wait below.
        super::signal(self.holder, "TERM");
        if self.daemon > 0 {
            super::signal(self.daemon, "TERM");
        }
        super::wait_until_or(Duration::from_secs(5), || self.session.exited());
    }
}

/// A unix socket that accepts D-Bus clients and never says a word: a keyring that hangs.
pub struct SilentBus {
    _server: Running<'static>,
    pub address: String,
    _dir: tempfile::TempDir,
}

impl SilentBus {
    pub fn start() -> SilentBus {
        let dir = tempfile::tempdir().expect("a dir for the socket");
        let sock = dir.path().join("silent-bus.sock");
        let script = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
"#;
        let mut c = Command::new("python3");
        c.arg("-c").arg(script).arg(&sock);
        let server = Running::spawn(c);
        wait_until("the silent bus to listen", Duration::from_secs(10), || sock.exists().then_some(()));
        SilentBus { _server: server, address: format!("unix:path={}", sock.display()), _dir: dir }
    }
}
