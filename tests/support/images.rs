//! Images on disk for the real-client tests: tar and gzip layers, OCI image layouts to push, and
//! readers for what the clients pull back (`oci:` layouts and `dir:` directories).
//!
//! Layers are gzip (stored deflate blocks): skopeo copies gzip layers as they are, while it would
//! compress plain tar layers on push and change their digests.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::cases::{OCI_MANIFEST, sha256};

pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const MIB: usize = 1024 * 1024;

/// A fresh, empty directory under the target's scratch space, unique to this process and call.
pub fn scratch_dir(label: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-{}-{n}-{label}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// A fresh, empty directory with a short path, for podman's `--runroot`, which podman refuses
/// beyond 50 characters (a checkout's target directory can be deeper than that allows).
pub fn runroot_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new("/tmp").join(format!("er-run-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a runroot directory");
    dir
}

/// A name component no earlier run used: the worker log outlives a run, and skopeo remembers
/// where it has seen blobs across runs.
pub fn unique(label: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{label}{}x{nanos:x}x{n}", std::process::id())
}

/// `len` incompressible bytes, different on every call (seeded from /dev/urandom).
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut seed = [0u8; 8];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .expect("/dev/urandom is readable");
    let mut state = u64::from_le_bytes(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// One entry of a tar archive.
pub enum Entry<'a> {
    Dir(&'a str),
    File { path: &'a str, mode: u32, bytes: &'a [u8] },
}

/// A ustar archive of `entries`, in order, with fixed owners and times (reproducible).
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    fn octal(field: &mut [u8], value: u64) {
        let text = format!("{value:0width$o}", width = field.len() - 1);
        field[..text.len()].copy_from_slice(text.as_bytes());
    }

    let mut out = Vec::new();
    for entry in entries {
        let (path, mode, bytes, kind) = match entry {
            Entry::Dir(path) => (format!("{}/", path.trim_end_matches('/')), 0o755, &[][..], b'5'),
            Entry::File { path, mode, bytes } => ((*path).to_owned(), *mode, *bytes, b'0'),
        };
        assert!(path.len() < 100, "tar: {path} needs a long-name extension");
        let mut header = [0u8; 512];
        header[..path.len()].copy_from_slice(path.as_bytes());
        octal(&mut header[100..108], u64::from(mode));
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], bytes.len() as u64);
        octal(&mut header[136..148], 1_700_000_000);
        header[148..156].fill(b' ');
        header[156] = kind;
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let text = format!("{checksum:06o}\0 ");
        header[148..156].copy_from_slice(text.as_bytes());

        out.extend_from_slice(&header);
        out.extend_from_slice(bytes);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| (0..8).fold(n, |c, _| if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 }))
        .collect();
    !bytes.iter().fold(!0u32, |crc, &b| table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8))
}

/// `bytes` in the gzip format, as stored (uncompressed) deflate blocks: valid gzip that every
/// client reads, and as large as random content would be anyway.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut blocks = bytes.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&crc32(bytes).to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out
}

/// Decompresses gzip with the system's `gzip` (any deflate, not only what [`gzip`] writes).
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let dir = scratch_dir("gunzip");
    let path = dir.join("blob.gz");
    fs::write(&path, bytes).expect("a scratch file");
    let out = Command::new("gzip").arg("-dc").arg(&path).output().expect("gzip is installed");
    assert!(out.status.success(), "gzip -dc: {}", String::from_utf8_lossy(&out.stderr));
    let _ = fs::remove_dir_all(dir);
    out.stdout
}

/// Unpacks a (possibly compressed) tar layer into `dir` with the system's `tar`.
pub fn unpack_layer(layer: &[u8], dir: &Path) {
    let file = dir.with_extension("layer");
    fs::write(&file, layer).expect("a scratch file");
    fs::create_dir_all(dir).expect("a directory to unpack into");
    let out = Command::new("tar")
        .arg("-xf")
        .arg(&file)
        .arg("-C")
        .arg(dir)
        .arg("--no-same-owner")
        .output()
        .expect("tar is installed");
    assert!(out.status.success(), "tar -xf: {}", String::from_utf8_lossy(&out.stderr));
    let _ = fs::remove_file(file);
}

/// Every path under `dir`, relative, sorted; directories end in `/`.
pub fn list_tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            if path.is_dir() {
                out.push(format!("{relative}/"));
                walk(root, &path, out);
            } else {
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// An image as its blobs and manifest, wherever it lives.
#[derive(Clone, Debug)]
pub struct Image {
    pub manifest: Vec<u8>,
    pub config: Vec<u8>,
    /// The layers as stored (compressed), in manifest order.
    pub layers: Vec<Vec<u8>>,
}

impl Image {
    pub fn manifest_digest(&self) -> String {
        sha256(&self.manifest)
    }

    pub fn manifest_json(&self) -> Value {
        serde_json::from_slice(&self.manifest).expect("a JSON manifest")
    }

    pub fn config_digest(&self) -> String {
        sha256(&self.config)
    }

    pub fn layer_digests(&self) -> Vec<String> {
        self.layers.iter().map(|l| sha256(l)).collect()
    }

    /// Every blob: the config, then the layers.
    pub fn blobs(&self) -> BTreeMap<String, Vec<u8>> {
        let mut blobs = BTreeMap::from([(self.config_digest(), self.config.clone())]);
        blobs.extend(self.layers.iter().map(|l| (sha256(l), l.clone())));
        blobs
    }
}

/// An OCI image whose layers are the gzip of `tars`, with a config that names their diff IDs.
pub fn oci_image(tars: &[Vec<u8>], label: &str) -> Image {
    let diff_ids: Vec<String> = tars.iter().map(|t| sha256(t)).collect();
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Labels": { "e2e": label } },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": tars.iter().map(|_| json!({ "created_by": "tests/support/images.rs" })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let layers: Vec<Vec<u8>> = tars.iter().map(|t| gzip(t)).collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": sha256(&config), "size": config.len() },
        "layers": layers.iter().map(|l| json!({
            "mediaType": OCI_LAYER_GZIP, "digest": sha256(l), "size": l.len()
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    Image { manifest, config, layers }
}

/// A fresh multi-layer image: a small layer with a text file, one of `big_mib` MiB of random
/// bytes, and `shared` (already a tar) as a further layer when given.
pub fn multi_layer_image(label: &str, big_mib: usize, shared: Option<&[u8]>) -> Image {
    let note = format!("{label}\n{}", hex::encode(random_bytes(16)));
    let small = tar(&[
        Entry::Dir("etc"),
        Entry::File { path: "etc/e2e-note", mode: 0o644, bytes: note.as_bytes() },
    ]);
    let random = random_bytes(big_mib * MIB);
    let big = tar(&[
        Entry::Dir("data"),
        Entry::File { path: "data/random", mode: 0o644, bytes: &random },
    ]);
    let mut tars = vec![small, big];
    tars.extend(shared.map(<[u8]>::to_vec));
    oci_image(&tars, label)
}

/// Writes `image` as an OCI image layout in `dir`, its manifest tagged `tag`.
pub fn write_oci_layout(dir: &Path, tag: &str, image: &Image) {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).expect("an OCI layout directory");
    let mut all = image.blobs();
    all.insert(image.manifest_digest(), image.manifest.clone());
    for (digest, bytes) in &all {
        fs::write(blobs.join(digest.trim_start_matches("sha256:")), bytes).expect("a blob file");
    }
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_MANIFEST,
            "digest": image.manifest_digest(),
            "size": image.manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": tag },
        }],
    });
    fs::write(dir.join("index.json"), index.to_string()).expect("index.json");
}

fn read_blob_file(dir: &Path, digest: &str) -> Vec<u8> {
    let (algorithm, hex) = digest.split_once(':').expect("an algorithm:hex digest");
    let layout = dir.join("blobs").join(algorithm).join(hex);
    let flat = dir.join(hex);
    fs::read(&layout)
        .or_else(|_| fs::read(&flat))
        .unwrap_or_else(|e| panic!("blob {digest} is not in {}: {e}", dir.display()))
}

/// The image an `oci:` layout in `dir` holds under `tag`.
pub fn read_oci_layout(dir: &Path, tag: &str) -> Image {
    let index: Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    let entry = entries
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no manifest tagged {tag} in {}: {index}", dir.display()));
    let manifest = read_blob_file(dir, entry["digest"].as_str().unwrap_or_default());
    image_from_manifest(dir, manifest)
}

/// The image a `dir:` directory (skopeo's plain directory transport) holds.
pub fn read_dir_image(dir: &Path) -> Image {
    let manifest = fs::read(dir.join("manifest.json")).expect("manifest.json");
    image_from_manifest(dir, manifest)
}

fn image_from_manifest(dir: &Path, manifest: Vec<u8>) -> Image {
    let json: Value = serde_json::from_slice(&manifest).expect("a JSON manifest");
    let config = read_blob_file(dir, json["config"]["digest"].as_str().unwrap_or_default());
    let layers = json["layers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|l| read_blob_file(dir, l["digest"].as_str().unwrap_or_default()))
        .collect();
    Image { manifest, config, layers }
}
