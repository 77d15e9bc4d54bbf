//! The configuration digest: BLAKE2b-256 over every loaded file, in load order, so that
//! a saved plan can tell whether the files changed since it was made.
//!
//! Each file is hashed with its path relative to the config directory (so the digest does
//! not depend on where scimform runs from or on `-C`); the configuration's digest hashes
//! the files' digests in load order. BLAKE2b (RFC 7693) is a cryptographic hash about
//! three times faster than SHA-256 in portable code, which matters for 60 MB of YAML;
//! it is small enough to carry here rather than take a dependency for it.

/// The digest of one file: BLAKE2b-256 over its path, a NUL, its text and a NUL.
pub fn file_digest(path: &str, text: &str) -> [u8; 32] {
    let mut hasher = Blake2b::new(32);
    hasher.update(path.as_bytes());
    hasher.update(&[0]);
    hasher.update(text.as_bytes());
    hasher.update(&[0]);
    let mut out = [0u8; 32];
    out.copy_from_slice(&hasher.finish()[..32]);
    out
}

/// The configuration's digest: BLAKE2b-256 over the file digests in load order, as
/// lowercase hex. (Hashing each file on its own lets the loader do it on all cores.)
pub fn combine<'a>(files: impl IntoIterator<Item = &'a [u8; 32]>) -> String {
    let mut hasher = Blake2b::new(32);
    for digest in files {
        hasher.update(digest);
    }
    hasher.finish()[..32]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/// BLAKE2b without a key, for digests of 1 to 64 bytes.
struct Blake2b {
    state: [u64; 8],
    block: [u8; 128],
    filled: usize,
    counter: u128,
}

impl Blake2b {
    fn new(digest_len: u8) -> Blake2b {
        let mut state = IV;
        state[0] ^= 0x0101_0000 ^ u64::from(digest_len);
        Blake2b {
            state,
            block: [0; 128],
            filled: 0,
            counter: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            // The last block is compressed by `finish`, flagged as last: compress a full
            // block only once more data follows it.
            if self.filled == 128 {
                self.counter += 128;
                let block = self.block;
                self.compress(&block, false);
                self.filled = 0;
            }
            let take = (128 - self.filled).min(data.len());
            self.block[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
        }
    }

    fn finish(mut self) -> [u8; 64] {
        self.counter += self.filled as u128;
        self.block[self.filled..].fill(0);
        let block = self.block;
        self.compress(&block, true);
        let mut out = [0u8; 64];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.state) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    fn compress(&mut self, block: &[u8; 128], last: bool) {
        let mut m = [0u64; 16];
        for (word, chunk) in m.iter_mut().zip(block.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *word = u64::from_le_bytes(bytes);
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.state);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.counter as u64;
        v[13] ^= (self.counter >> 64) as u64;
        if last {
            v[14] = !v[14];
        }
        for round in 0..12 {
            let s = &SIGMA[round % 10];
            g(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            self.state[i] ^= v[i] ^ v[i + 8];
        }
    }
}

/// The mixing function G of RFC 7693 §3.1.
fn g(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(data: &[u8], len: u8) -> String {
        let mut hasher = Blake2b::new(len);
        hasher.update(data);
        hasher.finish()[..len as usize]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// RFC 7693 Appendix A, and vectors computed with Python's `hashlib.blake2b`.
    #[test]
    fn matches_the_reference_vectors() {
        assert_eq!(
            hex(b"abc", 64),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
        assert_eq!(
            hex(b"", 32),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
        assert_eq!(
            hex(b"abc", 32),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
        assert_eq!(
            hex(&[b'x'; 128], 32),
            "164ffb7089bae6f5a62fb0795e751dc9e88eac92e1a5b2fafe93a25abf2d9c3b"
        );
        assert_eq!(
            hex(&vec![b'a'; 1_000_000], 32),
            "0741850f36cba4259628355d1073e24ddb9ca0e1bfac36fd39ae5dc2101e23a4"
        );
        let bytes: Vec<u8> = (0..3).flat_map(|_| 0..=255u8).collect();
        assert_eq!(
            hex(&bytes, 32),
            "b8007121274217790e2923e0ad7027986e5a99d5531ef6ae7d294140fc81615d"
        );
    }

    #[test]
    fn updates_in_pieces_equal_one_update() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let mut pieces = Blake2b::new(32);
        for chunk in data.chunks(37) {
            pieces.update(chunk);
        }
        let mut whole = Blake2b::new(32);
        whole.update(&data);
        assert_eq!(pieces.finish(), whole.finish());
    }

    #[test]
    fn the_digest_depends_on_paths_order_and_bytes() {
        let digest = |files: &[(&str, &str)]| {
            let digests: Vec<[u8; 32]> = files.iter().map(|(p, t)| file_digest(p, t)).collect();
            combine(&digests)
        };
        let one = digest(&[("a.yaml", "x"), ("b.yaml", "y")]);
        assert_eq!(one.len(), 64);
        assert_ne!(one, digest(&[("b.yaml", "y"), ("a.yaml", "x")]));
        assert_ne!(one, digest(&[("a.yaml", "x"), ("b.yaml", "z")]));
        assert_ne!(digest(&[("ab", "")]), digest(&[("a", "b")]));
    }
}
