//! A fast hash for sets of ids during a read: every id is checked against the ids seen
//! before it (a hundred thousand users, a million member references). SipHash's
//! resistance to crafted collisions buys nothing against ids that the authenticated target
//! assigned, and costs a tenth of a read's parsing time. This file only defines the hash.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A set of ids (or anything hashed as bytes) with [`IdHasher`].
pub type IdHashSet<T> = HashSet<T, BuildHasherDefault<IdHasher>>;

/// A fast multiplicative hash (the "Fx" hash of rustc).
#[derive(Default)]
pub struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
