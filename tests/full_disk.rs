//! A full disk: a write that does not fit fails with the cause named, keeps the old vault byte
//! for byte and leaves no temp file; reads go on, and the same write succeeds once there is room.
//! The disk is a small tmpfs, so this needs root.

use crate::support::*;

#[test]
fn a_full_disk_during_a_write_fails_clearly_keeps_the_old_vault_and_leaves_no_temp_file() {
    if !require_root() {
        return;
    }
    let mut env = Env::env_key();
    let disk = Mount::tmpfs(&env.path("disk"), "256k").unwrap_or_else(|why| panic!("this test needs a tmpfs: {why}"));
    env.vault = disk.0.join("vault").join("vault.toml");
    let secret = env.create("gh", &["--scope", "repo"]);
    env.import("expo", "expo-secret-value", &[]);
    let vault_dir = env.vault.parent().unwrap().to_path_buf();
    let before = snapshot(&vault_dir);
    let old = env.vault_bytes();

    // A dotenv file (on the big disk) whose vault cannot fit in what is left on the small one.
    let mut big = String::new();
    for i in 0..400 {
        big.push_str(&format!("BULK_{i}=bulk-secret-{i}-{}\n", "v".repeat(80)));
    }
    let big = env.write_file("big.env", big.as_bytes());
    let filler = disk.fill("filler", 12 * 1024);
    assert!(disk.free() < 16 * 1024, "the disk is almost full: {} bytes free", disk.free());

    // Each refusal is checked against the directory as it was, then the old vault is read
    // (which appends a use to the log, so the snapshot is taken again afterwards).
    let check = |out: &Out, what: &str, before: &Snapshot| -> Snapshot {
        assert_ne!(out.code, 0, "{what}: a write that did not fit must fail\n{out}");
        assert_ne!(out.code, 101, "{what}: no panic\n{out}");
        assert!(out.stderr.starts_with("tokctl: "), "{what}: an error message\n{out}");
        assert!(out.stderr.contains("No space left on device"), "{what}: the message names the cause\n{out}");
        assert!(out.stderr.contains("vault.toml"), "{what}: the message names the file\n{out}");
        assert!(!out.stderr.contains("bulk-secret") && !out.stderr.contains(&secret), "{what}: {out}");
        assert_unchanged(before, &snapshot(&vault_dir), out);
        assert!(env.temp_files().is_empty(), "{what}: temp files left behind: {:?}", env.temp_files());
        assert_eq!(env.vault_bytes(), old, "{what}: the old vault is byte-identical");
        assert_eq!(env.names(), ["expo", "gh"], "{what}: nothing half-imported");
        assert_eq!(env.get("gh"), secret, "{what}: the old vault still opens");
        snapshot(&vault_dir)
    };
    let out = env.run(&["import", "--dotenv", &big.display().to_string()], b"");
    assert_eq!(out.code, 1, "an I/O failure is exit 1\n{out}");
    let mut before = check(&out, "import --dotenv with a few KiB free", &before);

    // Not a byte left: a small write fails the same way.
    let filler2 = disk.fill("filler2", 0);
    for args in [&["create", "one-more"][..], &["update", "gh", "--note", "x"], &["revoke", "expo", "--yes"]] {
        let out = env.run(args, b"");
        before = check(&out, &format!("{args:?} with the disk full"), &before);
    }
    // A read still works (its log append is best effort), and prints the right secret.
    assert_eq!(env.get("gh"), secret);

    // Room again: the same import succeeds, and the history is whole.
    std::fs::remove_file(filler).unwrap();
    std::fs::remove_file(filler2).unwrap();
    env.ok(&["import", "--dotenv", &big.display().to_string()], b"");
    assert_eq!(env.names().len(), 402);
    assert_eq!(env.get("bulk-399"), format!("bulk-secret-399-{}", "v".repeat(80)));
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    let log = env.json(&["log", "--json"]);
    let imported = log.as_array().unwrap().iter().filter(|e| e["action"] == "imported").count();
    assert_eq!(imported, 401, "expo and the 400 bulk tokens are in the log after the disk was full: {log}");
}
