//! Test support: each test gets its own temp dir, vault path and a clean environment.
