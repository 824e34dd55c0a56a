//! Which seeds a shard of a campaign holds, and in what order its workers take them.
//!
//! A shard's seeds are numbered by *position*: position `p` is the campaign's offset
//! `index-1 + p*count`. Workers take positions in increasing order, which is what lets the
//! ledger describe the finished ones compactly (see [`super::frontier`]). Seeds are computed
//! from positions, never listed, so a campaign of 10^9 seeds costs no more memory than one of
//! ten.

/// Shard `index` of `count` (1-based): the seeds at offsets `index-1`, `index-1+count`, … of
/// the campaign's range. Interleaved, so every shard gets a like mix of seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let invalid =
            || format!("invalid shard '{text}': expected K/N with 1 <= K <= N, such as 2/8");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let index: u64 = index.trim().parse().map_err(|_| invalid())?;
        let count: u64 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || count == 0 || index > count {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }

    /// Whether the campaign's seed at `offset` from its first belongs to this shard.
    pub fn holds(self, offset: u64) -> bool {
        offset % self.count == self.index - 1
    }
}

/// The seeds of one shard of a campaign, by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSeeds {
    pub seed_start: u64,
    pub seed_count: u64,
    pub shard: Shard,
}

impl ShardSeeds {
    /// How many seeds the shard holds.
    pub fn len(self) -> u64 {
        let first_offset = self.shard.index - 1;
        if self.seed_count <= first_offset {
            0
        } else {
            (self.seed_count - first_offset - 1) / self.shard.count + 1
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The seed at `position` (below [`ShardSeeds::len`]). Seeds wrap past `u64::MAX`, as the
    /// campaign's range does.
    pub fn seed_at(self, position: u64) -> u64 {
        debug_assert!(position < self.len());
        let offset = self.shard.index - 1 + position * self.shard.count;
        self.seed_start.wrapping_add(offset)
    }

    /// The position of `seed`, or `None` when the shard does not hold it.
    pub fn position_of(self, seed: u64) -> Option<u64> {
        let offset = seed.wrapping_sub(self.seed_start);
        (offset < self.seed_count && self.shard.holds(offset))
            .then(|| (offset - (self.shard.index - 1)) / self.shard.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        assert_eq!(Shard::parse("1/1"), Ok(Shard::WHOLE));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/3", ""] {
            let error = Shard::parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("invalid shard '{bad}'")),
                "{error}"
            );
        }
    }

    #[test]
    fn shards_partition_the_offsets() {
        let shards: Vec<Shard> = (1..=3).map(|index| Shard { index, count: 3 }).collect();
        for offset in 0..30 {
            let holders = shards.iter().filter(|shard| shard.holds(offset)).count();
            assert_eq!(holders, 1, "offset {offset}");
        }
    }

    #[test]
    fn positions_enumerate_exactly_the_shards_seeds_in_order() {
        for seed_count in [0, 1, 2, 7, 8, 9, 30] {
            for count in 1..=4 {
                for index in 1..=count {
                    let seeds = ShardSeeds {
                        seed_start: 100,
                        seed_count,
                        shard: Shard { index, count },
                    };
                    let listed: Vec<u64> = (0..seeds.len()).map(|p| seeds.seed_at(p)).collect();
                    let expected: Vec<u64> = (0..seed_count)
                        .filter(|&offset| seeds.shard.holds(offset))
                        .map(|offset| 100 + offset)
                        .collect();
                    assert_eq!(listed, expected, "{seeds:?}");
                    for (position, &seed) in listed.iter().enumerate() {
                        assert_eq!(seeds.position_of(seed), Some(position as u64));
                    }
                    assert_eq!(seeds.position_of(99), None);
                    assert_eq!(seeds.position_of(100 + seed_count), None);
                }
            }
        }
    }

    #[test]
    fn huge_ranges_wrap_and_need_no_list() {
        let seeds = ShardSeeds {
            seed_start: u64::MAX - 1,
            seed_count: u64::MAX,
            shard: Shard { index: 2, count: 3 },
        };
        assert_eq!(seeds.len(), u64::MAX / 3);
        assert_eq!(seeds.seed_at(0), u64::MAX);
        assert_eq!(seeds.seed_at(1), 2);
        assert_eq!(seeds.position_of(2), Some(1));
        assert_eq!(seeds.position_of(0), None);
        let last = seeds.len() - 1;
        assert_eq!(seeds.position_of(seeds.seed_at(last)), Some(last));
    }
}
