//! A stable 64-bit hasher for trace hashes and entry digests.
//!
//! `std`'s `DefaultHasher` may change between Rust releases, and a trace hash must not: a
//! failing seed recorded today has to replay to the same hash tomorrow. This is a small
//! word-at-a-time multiply-rotate hash (FxHash's mixing step) with a final avalanche, fixed here.
//!
//! One limit, from `std` rather than from here: `Hash` for slices of integers (`[u32]`,
//! `Vec<u64>`) writes their raw bytes in the machine's byte order, so a protocol whose messages
//! hold such slices gets the same hash on every little-endian machine, not on big-endian ones.

use std::hash::{Hash, Hasher};

const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

/// Deterministic [`Hasher`] whose output depends only on the bytes written.
#[derive(Clone, Copy, Debug)]
pub struct StableHasher {
    state: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher {
            state: 0xcbf2_9ce4_8422_2325,
        }
    }
}

impl StableHasher {
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for StableHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.mix(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.mix(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.mix(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.mix(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.mix(value as u64);
    }

    // The defaults for 128-bit integers hash native-endian bytes; fix the byte order so a
    // trace hash is the same on every machine.
    fn write_u128(&mut self, value: u128) {
        self.mix(value as u64);
        self.mix((value >> 64) as u64);
    }

    fn write_i128(&mut self, value: i128) {
        self.write_u128(value as u128);
    }

    fn finish(&self) -> u64 {
        // SplitMix64's finaliser, so nearby inputs give unrelated outputs.
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The stable hash of one value.
pub fn stable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = StableHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A digest of two words for the checkers' equality tests (never for the trace hash): a
/// multiply-xorshift round per word, a third of [`stable_hash`]'s work. For either word fixed
/// it is a bijection of the other, so inputs differing in one word never collide; two that
/// differ in both collide with probability about 2^-64 unless chosen to.
pub fn digest2(first: u64, second: u64) -> u64 {
    let x = (first ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 29) ^ second).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_values_are_pinned() {
        assert_eq!(stable_hash(&0u64), GOLDEN_ZERO);
        assert_eq!(stable_hash("raft"), GOLDEN_RAFT);
    }

    const GOLDEN_ZERO: u64 = 5_135_791_855_136_205_827;
    const GOLDEN_RAFT: u64 = 14_752_905_072_059_907_492;

    #[test]
    fn digest2_separates_nearby_inputs() {
        let mut seen = std::collections::BTreeSet::new();
        for first in 0..64u64 {
            for second in 0..64u64 {
                assert!(seen.insert(digest2(first, second)), "({first}, {second})");
            }
        }
        assert_ne!(digest2(1, 2), digest2(2, 1));
    }

    #[test]
    fn different_inputs_differ() {
        assert_ne!(stable_hash(&(1u64, 2u64)), stable_hash(&(2u64, 1u64)));
        assert_ne!(
            stable_hash(&[1u8, 2, 3][..]),
            stable_hash(&[1u8, 2, 3, 0][..])
        );
    }
}
