//! Embeds the built site (`target/site`: wasm, JS, CSS, icons and their `.br`/`.gz`
//! twins) into the binary when `VIGIL_EMBED_SITE=1`, which `make build` sets after
//! cargo-leptos has built the front end (it builds the front end first when asked to
//! precompress). Other builds (tests, `cargo build`) embed nothing and watch nothing,
//! so they never rebuild for a changed site.

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=VIGIL_EMBED_SITE");
    println!("cargo:rerun-if-env-changed=LEPTOS_SITE_ROOT");
    let mut entries = Vec::new();
    if env::var("VIGIL_EMBED_SITE").is_ok_and(|v| v == "1") {
        let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
        let site = env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
        let root = manifest.join("..").join(site);
        assert!(
            root.join("pkg").is_dir(),
            "VIGIL_EMBED_SITE=1 but there is no built site at {}: build the front end first (make build)",
            root.display()
        );
        collect(&root, &root, &mut entries);
        entries.sort();
    }
    let mut code = String::from(
        "/// Every file of the built site: its path under the site root, and its bytes.\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &entries {
        code.push_str(&format!("    ({name:?}, include_bytes!({path:?})),\n"));
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("site.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

/// (path under `root` with `/` separators, absolute path) of every file below `dir`.
fn collect(root: &Path, dir: &Path, entries: &mut Vec<(String, String)>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    for entry in fs::read_dir(dir).expect("the site directory is readable") {
        let path = entry.expect("a readable entry").path();
        if path.is_dir() {
            collect(root, &path, entries);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path
                .strip_prefix(root)
                .expect("below the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let absolute = fs::canonicalize(&path).expect("an existing file");
            entries.push((name, absolute.to_string_lossy().into_owned()));
        }
    }
}
