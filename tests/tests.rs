//! End-to-end tests: real files, a real Secret Service (gnome-keyring on a private D-Bus, see
//! `.ci/with-keyring`), real child processes and terminals. One binary; `support` is the one
//! harness every test module uses.

mod bad_input;
mod cache;
mod ci_recipe;
mod concurrency;
mod damage;
mod docker_helper;
mod docs;
mod durations;
mod exec;
mod expiry;
mod fit;
mod format;
mod full_disk;
mod fuzz_corpus;
mod git_helper;
mod hygiene;
mod inject_names;
mod integrity;
mod keyring_faults;
mod keys;
mod kill;
mod lifecycle;
mod mask_tty;
mod npm_provider;
mod packaging;
mod process_leaks;
mod providers;
mod remote;
mod rotation;
mod rough_edges;
mod scan;
mod support;
mod templates;
mod trust;
mod tty;
mod unlock;
mod untrusted;
// Bundles for named recipients (issue 22).
mod recipients;
// The npm registry the npm provider is tested against (issue 19).
mod verdaccio;
