//! `quorumsim experiment campaign-footprint`, and what it shows: a campaign's memory and
//! ledger do not grow with the seed range it may run. A range of 10^12 seeds (eight terabytes
//! as a list of seeds) costs what a range of a thousand does.

use quorumsim::experiment::campaign_footprint::{measure, render_markdown, FootprintPlan};

use crate::fuzz::fresh_dir;

#[test]
fn a_huge_seed_range_costs_no_more_memory_or_ledger_than_a_small_one() {
    let plan = FootprintPlan {
        program: env!("CARGO_BIN_EXE_quorumsim").into(),
        program_name: "quorumsim".to_string(),
        protocol: "raft".to_string(),
        seed_counts: vec![1_000, 1_000_000_000_000],
        time_budget: "300ms".to_string(),
        jobs: 2,
        scratch: fresh_dir("campaign-footprint"),
    };
    let rows = measure(&plan).expect("the campaigns run");
    assert_eq!(rows.len(), 4, "fresh and resumed, per range");
    for row in &rows {
        assert!(row.seeds_run > 0, "{row:?}");
        // A checkpoint (under a kilobyte) and at most 1024 seed lines of about 50 bytes.
        assert!(row.ledger_bytes_max < 64 * 1024, "{row:?}");
        assert!(
            row.ledger_bytes_end < 2 * 1024,
            "one checkpoint at the end: {row:?}"
        );
    }
    let resumed_huge = &rows[3];
    assert!(resumed_huge.resumed && resumed_huge.seeds_run > rows[2].seeds_run);
    if let (Some(small), Some(huge)) = (rows[0].peak_resident_kib, rows[2].peak_resident_kib) {
        assert!(huge < small + 4 * 1024, "{small} KiB, then {huge} KiB");
        assert!(huge < 64 * 1024, "{huge} KiB");
    }
    let markdown = render_markdown(&rows, &plan);
    assert!(
        markdown.contains("| 1000000000000 | resumed |"),
        "{markdown}"
    );
}
