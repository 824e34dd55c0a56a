//! Majority quorums, as Raft and Zab count them: how many servers make a quorum, and the
//! highest index that a quorum of servers holds (the commit rule of both protocols).

/// The quorums of a cluster: its majorities. Any two majorities share a server, which is what
/// makes one leader per term (Raft §5.2) and a committed entry survive into every later
/// quorum (§5.4; ZooKeeper's `QuorumMaj`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Majority {
    size: usize,
}

impl Majority {
    /// The majorities of a cluster of `node_count` servers.
    pub fn of(node_count: u16) -> Majority {
        Majority {
            size: usize::from(node_count) / 2 + 1,
        }
    }

    /// How many servers the smallest majority has.
    pub fn size(self) -> usize {
        self.size
    }

    /// Whether `count` distinct servers (votes, acknowledgements) are a quorum.
    pub fn is_reached_by(self, count: usize) -> bool {
        count >= self.size
    }

    /// The highest index that a quorum of servers holds, if it is past `floor`, given the
    /// index each server holds (`held`: one item per server, the asking server's own
    /// included). It is the quorum-th highest of `held`. Only indexes past `floor` can make
    /// it, and on most calls (an acknowledgement that a quorum has not yet reached) fewer
    /// than a quorum are: counting them answers those calls in one pass, and the others
    /// sort only the indexes past `floor`, on the stack in all but very large clusters.
    pub fn highest_index_past(
        self,
        held: impl Iterator<Item = u64> + Clone,
        floor: u64,
    ) -> Option<u64> {
        let past = held.filter(move |&index| index > floor);
        let count = past.clone().count();
        if !self.is_reached_by(count) {
            return None;
        }
        let mut on_stack = [0u64; SERVERS_ON_STACK_MAX];
        let mut on_heap = Vec::new();
        let past_indexes = if count <= SERVERS_ON_STACK_MAX {
            for (slot, index) in on_stack.iter_mut().zip(past) {
                *slot = index;
            }
            &mut on_stack[..count]
        } else {
            on_heap.extend(past);
            &mut on_heap[..]
        };
        // The quorum-th highest: held by its server and by every server above it.
        past_indexes.sort_unstable_by(|a, b| b.cmp(a));
        Some(past_indexes[self.size - 1])
    }
}

/// Most servers whose indexes [`Majority::highest_index_past`] sorts without allocating.
const SERVERS_ON_STACK_MAX: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_majority_is_more_than_half() {
        let sizes: Vec<usize> = (1..=7).map(|nodes| Majority::of(nodes).size()).collect();
        assert_eq!(sizes, [1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(Majority::of(64).size(), 33);
        assert!(Majority::of(5).is_reached_by(3));
        assert!(!Majority::of(5).is_reached_by(2));
        assert!(!Majority::of(4).is_reached_by(2));
    }

    /// The rule agrees with "sort every server's index, highest first, take the quorum-th,
    /// keep it if it is past the floor" on every combination of indexes in 0..4 for one to
    /// five servers, and on a cluster of 41.
    #[test]
    fn the_highest_index_past_the_floor_is_the_quorum_th_highest() {
        let sorting = |held: &[u64], floor: u64, majority: Majority| {
            let mut sorted = held.to_vec();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            Some(sorted[majority.size() - 1]).filter(|&index| index > floor)
        };
        let three = Majority::of(5);
        assert_eq!(
            three.highest_index_past([7, 3, 9, 5, 1].into_iter(), 2),
            Some(5)
        );
        assert_eq!(
            three.highest_index_past([7, 3, 9, 5, 1].into_iter(), 5),
            None
        );
        assert_eq!(
            Majority::of(3).highest_index_past([4, 4, 4].into_iter(), 3),
            Some(4)
        );
        assert_eq!(
            Majority::of(3).highest_index_past([4, 4, 4].into_iter(), 4),
            None
        );
        for nodes in 1..=5u16 {
            let majority = Majority::of(nodes);
            for code in 0..4u64.pow(u32::from(nodes)) {
                let held: Vec<u64> = (0..u32::from(nodes))
                    .map(|digit| code / 4u64.pow(digit) % 4)
                    .collect();
                for floor in 0..4 {
                    assert_eq!(
                        majority.highest_index_past(held.iter().copied(), floor),
                        sorting(&held, floor, majority),
                        "{held:?} past {floor}"
                    );
                }
            }
        }
        let held: Vec<u64> = (1..=41).rev().collect();
        let majority = Majority::of(41);
        assert_eq!(
            majority.highest_index_past(held.iter().copied(), 0),
            Some(21)
        );
        assert_eq!(majority.highest_index_past(held.iter().copied(), 21), None);
    }
}
