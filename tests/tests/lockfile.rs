//! The project builds with rustls only: no OpenSSL or native-tls anywhere in the lock file,
//! which covers every target (an Android-only dependency counts too). Issue 12 removed them;
//! this keeps a new dependency from bringing them back unnoticed.

#[test]
fn no_openssl_or_native_tls_in_the_lock_file() {
    // The fuzz workspace (fuzz/) has its own lock file and builds in CI too.
    for lock in ["Cargo.lock", "fuzz/Cargo.lock"] {
        check(lock);
    }
}

fn check(lock: &str) {
    let path = rosette_tests::workspace_root().join(lock);
    let lock = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .collect();
    assert!(names.len() > 100, "read only {} packages", names.len());
    let banned = [
        "openssl",
        "openssl-sys",
        "openssl-src",
        "native-tls",
        "hyper-tls",
        "tokio-native-tls",
    ];
    let found: Vec<&&str> = names.iter().filter(|n| banned.contains(n)).collect();
    assert!(
        found.is_empty(),
        "{lock} holds {found:?}: find who pulls them in with `cargo tree -i <name> --target all`"
    );
}
