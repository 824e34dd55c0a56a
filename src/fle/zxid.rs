//! ZooKeeper's transaction id.

use std::fmt;

/// A transaction id, as ZooKeeper packs it: the epoch of the leader that proposed the
/// transaction in the high 32 bits, and its counter within that epoch in the low 32. Zxids
/// therefore order by epoch, then counter. [`Zxid::ZERO`] stands before every transaction:
/// the last zxid of an empty history.
///
/// `Debug` prints the packed number, as the bare `u64` did, so that trace text and violation
/// details read as they always have; `{:#x}` shows the two halves.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Zxid(u64);

/// The counter's share of a zxid: its low half.
const COUNTER_BITS: u32 = 32;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;

impl Zxid {
    /// Before the first transaction of any epoch.
    pub const ZERO: Zxid = Zxid(0);

    /// The zxid of the `counter`-th proposal of `epoch` (counters start at 1).
    pub fn new(epoch: u64, counter: u64) -> Zxid {
        debug_assert!(epoch <= u64::MAX >> COUNTER_BITS, "zxid epoch overflow");
        debug_assert!(counter <= COUNTER_MASK, "zxid counter overflow");
        Zxid((epoch << COUNTER_BITS) | counter)
    }

    /// The epoch of the leader that proposed it.
    pub fn epoch(self) -> u64 {
        self.0 >> COUNTER_BITS
    }

    /// Its place among the proposals of its epoch.
    pub fn counter(self) -> u64 {
        self.0 & COUNTER_MASK
    }

    /// The zxid a leader of `epoch` gives the proposal after this one, the last of its
    /// history: the next counter in the same epoch, or the first of a new epoch.
    pub fn next_in(self, epoch: u64) -> Zxid {
        if self.epoch() == epoch {
            Zxid::new(epoch, self.counter() + 1)
        } else {
            Zxid::new(epoch, 1)
        }
    }
}

impl fmt::Debug for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::LowerHex for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::stable_hash;

    #[test]
    fn a_zxid_is_the_epoch_above_the_counter() {
        let zxid = Zxid::new(3, 7);
        assert_eq!((zxid.epoch(), zxid.counter()), (3, 7));
        assert!(Zxid::new(2, 9) < Zxid::new(3, 1));
        assert!(Zxid::new(3, 1) < Zxid::new(3, 2));
        assert!(Zxid::ZERO < Zxid::new(0, 1));
        assert_eq!(Zxid::new(3, 7).next_in(3), Zxid::new(3, 8));
        assert_eq!(Zxid::new(3, 7).next_in(4), Zxid::new(4, 1));
        assert_eq!(Zxid::ZERO.next_in(1), Zxid::new(1, 1));
    }

    /// Trace hashes, trace text and violation details depend on this: a zxid hashes and
    /// prints as the packed `u64` it replaced.
    #[test]
    fn a_zxid_hashes_and_prints_as_the_packed_number() {
        let packed: u64 = (3 << 32) | 7;
        let zxid = Zxid::new(3, 7);
        assert_eq!(stable_hash(&zxid), stable_hash(&packed));
        assert_eq!(format!("{zxid:?}"), format!("{packed:?}"));
        assert_eq!(format!("{zxid:#x}"), format!("{packed:#x}"));
        assert_eq!(format!("{zxid:#x}"), "0x300000007");
    }
}
