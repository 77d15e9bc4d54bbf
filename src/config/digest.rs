//! The configuration digest: SHA-256 over every loaded file, in load order, so that a
//! saved plan can tell whether the files changed since it was made.
//!
//! Each file is hashed with its path relative to the config directory (so the digest does
//! not depend on where scimform runs from or on `-C`); the configuration's digest hashes
//! the files' digests in load order, and is written `sha256:<64 hex digits>` (the form
//! Terraform and octoDNS users recognise). Hashing each file on its own lets the loader
//! do it on all cores. This file only hashes; it decides nothing about staleness.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// The digest of one file: SHA-256 over its path, a NUL, its text and a NUL.
pub(crate) fn file_digest(path: &str, text: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    hasher.update([0]);
    hasher.finalize().into()
}

/// The configuration's digest, `sha256:` and SHA-256 over the file digests in load order
/// as lowercase hex.
pub(crate) fn combine<'a>(files: impl IntoIterator<Item = &'a [u8; 32]>) -> String {
    let mut hasher = Sha256::new();
    for digest in files {
        hasher.update(digest);
    }
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in hasher.finalize() {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS 180-2 test vector: the file digest is plain SHA-256 of path, NUL, text, NUL.
    #[test]
    fn file_digest_is_sha256_of_path_and_text() {
        let hex = |bytes: [u8; 32]| -> String {
            bytes.iter().fold(String::new(), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            })
        };
        assert_eq!(
            hex(Sha256::digest(b"abc").into()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut expected = Sha256::new();
        expected.update(b"a.yaml\0x\0");
        assert_eq!(
            file_digest("a.yaml", "x"),
            <[u8; 32]>::from(expected.finalize())
        );
    }

    #[test]
    fn the_digest_depends_on_paths_order_and_bytes() {
        let digest = |files: &[(&str, &str)]| {
            let digests: Vec<[u8; 32]> = files.iter().map(|(p, t)| file_digest(p, t)).collect();
            combine(&digests)
        };
        let one = digest(&[("a.yaml", "x"), ("b.yaml", "y")]);
        assert_eq!(one.len(), "sha256:".len() + 64);
        assert!(one.starts_with("sha256:"), "{one}");
        assert_ne!(one, digest(&[("b.yaml", "y"), ("a.yaml", "x")]));
        assert_ne!(one, digest(&[("a.yaml", "x"), ("b.yaml", "z")]));
        assert_ne!(digest(&[("ab", "")]), digest(&[("a", "b")]));
    }
}
