//! The built front end (wasm, JS, CSS, icons), served from memory: embedded in the
//! release binary (`build.rs`, under `make build`), so one file is the whole
//! deployment, or read once at start from `--site-root` (development, tests).
//!
//! The bundles are served under names carrying a fingerprint of their content
//! (`/pkg/vigil.3f2a9c1e0b.wasm`) with a year-long immutable cache lifetime, so a
//! returning visitor downloads nothing until an upgrade changes them; the plain names
//! stay reachable with revalidation (`ETag`). Precompressed brotli and gzip twins
//! (`vigil.wasm.br`) are sent to browsers that accept them, never compressed per request.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/site.rs"));
}

/// The stem of the bundles' names (`vigil.js`, `vigil.wasm`, `vigil.css`).
const OUTPUT_NAME: &str = "vigil";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// One file with its precompressed twins.
#[derive(Debug)]
struct Asset {
    raw: Bytes,
    br: Option<Bytes>,
    gz: Option<Bytes>,
    content_type: &'static str,
    etag: HeaderValue,
}

/// Embedded bytes live as long as the program; read ones are owned.
type Bytes = axum::body::Bytes;

/// The site, by path under its root (`pkg/vigil.wasm`, `favicon.svg`).
#[derive(Debug, Default)]
pub struct Site {
    files: HashMap<String, Asset>,
    /// Ten hex digits of the bundles' SHA-256; empty for a site without bundles.
    fingerprint: String,
}

/// An encoding the response body is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Site {
    /// The site for `root`: the embedded one when no root is named and one is embedded,
    /// else the files under `root` (default `target/site`), read once per process.
    pub fn load(root: Option<&Path>) -> Arc<Site> {
        static LOADED: OnceLock<Mutex<HashMap<Option<PathBuf>, Arc<Site>>>> = OnceLock::new();
        let key = root.map(Path::to_path_buf);
        let mut loaded = LOADED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loaded
            .entry(key)
            .or_insert_with(|| {
                Arc::new(match root {
                    None if !embedded::FILES.is_empty() => Self::from_files(
                        embedded::FILES
                            .iter()
                            .map(|&(name, bytes)| (name.to_owned(), Bytes::from_static(bytes))),
                    ),
                    None => Self::from_dir(Path::new("target/site")),
                    Some(root) => Self::from_dir(root),
                })
            })
            .clone()
    }

    /// The files of `pkg/` (recursively) and the root's own files; nothing when the
    /// directory is missing.
    fn from_dir(root: &Path) -> Self {
        let mut files = Vec::new();
        read_dir(root, root, false, &mut files);
        read_dir(root, &root.join("pkg"), true, &mut files);
        Self::from_files(files)
    }

    fn from_files(files: impl IntoIterator<Item = (String, Bytes)>) -> Self {
        let mut all: HashMap<String, Bytes> = files.into_iter().collect();
        let twins: Vec<String> = all
            .keys()
            .filter(|k| k.ends_with(".br") || k.ends_with(".gz"))
            .cloned()
            .collect();
        let mut compressed: HashMap<String, Bytes> = HashMap::new();
        for name in twins {
            if let Some(bytes) = all.remove(&name) {
                compressed.insert(name, bytes);
            }
        }
        // One digest a file: its ETag, and (for the bundles) part of the fingerprint.
        let digests: HashMap<String, String> = all
            .iter()
            .map(|(name, raw)| (name.clone(), hex::encode(Sha256::digest(raw))))
            .collect();
        let mut names: Vec<&String> = all.keys().filter(|k| k.starts_with("pkg/")).collect();
        names.sort();
        let fingerprint = if names.is_empty() {
            String::new()
        } else {
            let mut bundle_hash = Sha256::new();
            for name in &names {
                bundle_hash.update(name.as_bytes());
                bundle_hash.update(digests[*name].as_bytes());
            }
            hex::encode(bundle_hash.finalize())[..10].to_owned()
        };
        let files = all
            .into_iter()
            .map(|(name, raw)| {
                let digest = &digests[&name];
                let asset = Asset {
                    br: compressed.remove(&format!("{name}.br")),
                    gz: compressed.remove(&format!("{name}.gz")),
                    content_type: content_type(&name),
                    etag: HeaderValue::from_str(&format!("\"{}\"", &digest[..20]))
                        .unwrap_or(HeaderValue::from_static("\"\"")),
                    raw,
                };
                (name, asset)
            })
            .collect();
        Self { files, fingerprint }
    }

    /// What Leptos calls the bundles: `vigil.<fingerprint>`, so the pages link the
    /// fingerprinted names.
    pub fn output_name(&self) -> String {
        if self.fingerprint.is_empty() {
            OUTPUT_NAME.to_owned()
        } else {
            format!("{OUTPUT_NAME}.{}", self.fingerprint)
        }
    }

    /// Whether any bundle is there (a server without one renders pages, unstyled).
    pub fn has_bundles(&self) -> bool {
        !self.fingerprint.is_empty()
    }

    /// The file a request path names, and whether it was asked for by its
    /// fingerprinted name (then it never changes).
    fn find(&self, path: &str) -> Option<(&Asset, bool)> {
        let path = path.trim_start_matches('/');
        if let Some(asset) = self.files.get(path) {
            return Some((asset, false));
        }
        let marked = format!("pkg/{OUTPUT_NAME}.{}.", self.fingerprint);
        let ext = path.strip_prefix(&marked).filter(|_| self.has_bundles())?;
        self.files
            .get(&format!("pkg/{OUTPUT_NAME}.{ext}"))
            .map(|asset| (asset, true))
    }

    /// The paths at the site root (`/favicon.svg`): each gets a route.
    fn root_files(&self) -> Vec<String> {
        self.files
            .keys()
            .filter(|k| !k.contains('/'))
            .map(|k| format!("/{k}"))
            .collect()
    }
}

fn read_dir(root: &Path, dir: &Path, recurse: bool, out: &mut Vec<(String, Bytes)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if recurse {
                read_dir(root, &path, true, out);
            }
            continue;
        }
        let (Ok(rel), Ok(bytes)) = (path.strip_prefix(root), std::fs::read(&path)) else {
            continue;
        };
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        out.push((name, Bytes::from(bytes)));
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or_default() {
        "wasm" => "application/wasm",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The best encoding the request accepts of those available: brotli, then gzip (an
/// encoding with `q=0` is refused), else the file as it is.
pub fn pick_encoding(accept: &str, has_br: bool, has_gz: bool) -> Encoding {
    let accepts = |wanted: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';');
            let name = pieces.next().unwrap_or_default().trim();
            let refused = pieces.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case(wanted) && !refused
        })
    };
    if has_br && accepts("br") {
        Encoding::Brotli
    } else if has_gz && accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

async fn serve(State(site): State<Arc<Site>>, request: Request) -> Response {
    let Some((asset, immutable)) = site.find(request.uri().path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let headers: &HeaderMap = request.headers();
    let cache = if immutable { IMMUTABLE } else { REVALIDATE };
    if !immutable
        && headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tag| tag == asset.etag)
    {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, asset.etag.clone()),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
        )
            .into_response();
    }
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (body, encoding) = match pick_encoding(accept, asset.br.is_some(), asset.gz.is_some()) {
        Encoding::Brotli => (asset.br.clone(), Some("br")),
        Encoding::Gzip => (asset.gz.clone(), Some("gzip")),
        Encoding::Identity => (None, None),
    };
    let mut response = Response::new(Body::from(body.unwrap_or_else(|| asset.raw.clone())));
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::ETAG, asset.etag.clone());
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

/// `/pkg/*` and the root files, from memory.
pub fn routes<S: Clone + Send + Sync + 'static>(site: Arc<Site>) -> Router<S> {
    let mut router = Router::new().route("/pkg/{*file}", get(serve));
    for path in site.root_files() {
        router = router.route(&path, get(serve));
    }
    router.with_state(site)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::from_files([
            ("pkg/vigil.js".to_owned(), Bytes::from_static(b"js")),
            ("pkg/vigil.wasm".to_owned(), Bytes::from_static(b"wasm")),
            ("pkg/vigil.wasm.br".to_owned(), Bytes::from_static(b"br")),
            ("favicon.svg".to_owned(), Bytes::from_static(b"<svg/>")),
        ])
    }

    #[test]
    fn bundles_answer_to_their_fingerprinted_names_too() {
        let site = site();
        assert_eq!(site.fingerprint.len(), 10);
        assert_eq!(site.output_name(), format!("vigil.{}", site.fingerprint));
        let (asset, immutable) = site
            .find(&format!("/pkg/vigil.{}.wasm", site.fingerprint))
            .unwrap();
        assert!(immutable);
        assert_eq!(asset.raw.as_ref(), b"wasm");
        assert_eq!(asset.br.as_deref(), Some(&b"br"[..]));
        assert!(
            !site.find("/pkg/vigil.wasm").unwrap().1,
            "plain names revalidate"
        );
        assert!(
            site.find("/pkg/vigil.0000000000.wasm").is_none(),
            "an old fingerprint"
        );
        assert!(
            site.find("/pkg/vigil.wasm.br").is_none(),
            "twins are not files"
        );
        assert_eq!(site.root_files(), ["/favicon.svg"]);
        // The fingerprint follows the content.
        let other = Site::from_files([("pkg/vigil.js".to_owned(), Bytes::from_static(b"js2"))]);
        assert_ne!(other.fingerprint, site.fingerprint);
        assert_eq!(Site::default().output_name(), "vigil");
    }

    #[test]
    fn the_encoding_is_the_best_one_accepted() {
        use Encoding::*;
        assert_eq!(pick_encoding("gzip, deflate, br, zstd", true, true), Brotli);
        assert_eq!(pick_encoding("gzip, deflate, br", false, true), Gzip);
        assert_eq!(pick_encoding("br;q=0, gzip", true, true), Gzip);
        assert_eq!(pick_encoding("BR;q=0.5", true, true), Brotli);
        assert_eq!(pick_encoding("", true, true), Identity);
        assert_eq!(pick_encoding("identity", true, true), Identity);
        assert_eq!(pick_encoding("gzip;q=0", false, true), Identity);
    }
}
