//! Whole runs drawn from a seed: the group size, the network, VR's timings (through the
//! section's swarm draw) and a schedule of faults — crash and restart, partitions, isolation,
//! one-way cuts, bursts of loss and duplication — during a safety phase; then everything is
//! healed and restarted, and the run must have a leader and commits afterwards.

use quorumsim::net::LinkModel;
use quorumsim::prng::{Prng, Ratio, Stream};
use quorumsim::protocol::NodeId;
use quorumsim::sim::{
    ClientTarget, Expectations, Fault, FaultAction, LinkChange, RunReport, Selector, SimConfig,
    Simulator, TraceSink, Workload,
};
use quorumsim::time::ms;
use quorumsim_vr::{swarm_section, vr_config, VrBug, VrReplica, VrSection};

/// The faults stop and everything heals at this time.
pub const HEAL_MS: u64 = 3_000;
/// After the heal, a leader a live majority follows must stand within this long.
pub const LEADER_WITHIN_MS: u64 = 2_000;
pub const DURATION_MS: u64 = HEAL_MS + LEADER_WITHIN_MS + 500;

/// The kinds of fault a seed may turn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Crash,
    Partition,
    Isolate,
    Cut,
    LossBurst,
}

const KINDS: [Kind; 5] = [
    Kind::Crash,
    Kind::Partition,
    Kind::Isolate,
    Kind::Cut,
    Kind::LossBurst,
];

/// The run seed `seed` draws, with `bug` planted (or correct VR).
pub fn run(seed: u64, bug: Option<VrBug>) -> RunReport {
    let (sim, section) = draw(seed, bug);
    let config = vr_config(&section).expect("a drawn section is valid");
    Simulator::<VrReplica>::new(sim, config, TraceSink::Off).run()
}

/// The engine settings and VR section of seed `seed`.
pub fn draw(seed: u64, bug: Option<VrBug>) -> (SimConfig, VrSection) {
    let mut rng = Prng::new(seed, Stream::Custom(0x7672));
    let node_count: u16 = if rng.below(2) == 0 { 3 } else { 5 };
    let latency_us_min = ms(rng.range_inclusive(1, 3));
    let links = LinkModel {
        latency_us_min,
        latency_us_max: latency_us_min + ms(rng.range_inclusive(2, 15)),
        drop: Ratio::from_ppm(rng.range_inclusive(0, 30_000) as u32),
        duplicate: Ratio::from_ppm(rng.range_inclusive(0, 30_000) as u32),
    };
    let base = VrSection {
        view_change_timeout_ms_min: Some(150),
        view_change_timeout_ms_max: Some(300),
        heartbeat_interval_ms: Some(50),
        bug: bug.map(|bug| bug.name().to_string()),
    };
    let section = swarm_section(&base, &mut rng);
    let kinds: Vec<Kind> = loop {
        let kinds: Vec<Kind> = KINDS.into_iter().filter(|_| rng.below(2) == 0).collect();
        if !kinds.is_empty() {
            break kinds;
        }
    };
    let mut faults = Vec::new();
    let mut at_ms = rng.range_inclusive(200, 600);
    while at_ms < HEAL_MS - 100 {
        let kind = kinds[rng.index(kinds.len())];
        faults.extend(fault(&mut rng, kind, at_ms, node_count, &links));
        at_ms += rng.range_inclusive(50, 500);
    }
    faults.extend(heal_everything(HEAL_MS, node_count, &links));
    let sim = SimConfig {
        paranoid: false,
        node_count,
        seed,
        duration_us: ms(DURATION_MS),
        max_steps: 5_000_000,
        max_in_flight: 200_000,
        links,
        workload: Some(Workload {
            start_us: ms(100),
            stop_us: ms(DURATION_MS),
            interval_us_min: ms(5),
            interval_us_max: ms(20),
            key_count: 8,
            target: ClientTarget::Leader,
        }),
        faults,
        expect: Expectations {
            leader_within_us: Some(ms(LEADER_WITHIN_MS)),
            commits_after_last_fault_min: Some(1),
            ..Expectations::default()
        },
    };
    (sim, section)
}

/// One fault of `kind` at `at_ms`, and the fault that undoes it a while later (a crash's
/// restart may come after the heal, which restarts every node anyway).
fn fault(rng: &mut Prng, kind: Kind, at_ms: u64, node_count: u16, links: &LinkModel) -> Vec<Fault> {
    let at = |at_ms: u64, action| Fault {
        at_us: ms(at_ms),
        action,
    };
    let undo_ms = at_ms + rng.range_inclusive(50, 900);
    let victim = |rng: &mut Prng| match rng.below(4) {
        0 => Selector::Leader,
        1 => Selector::Follower,
        2 => Selector::Random,
        _ => Selector::Node(NodeId(rng.below(u64::from(node_count)) as u16)),
    };
    match kind {
        Kind::Crash => {
            let crash = FaultAction::Crash(victim(rng));
            vec![
                at(at_ms, crash),
                at(undo_ms, FaultAction::Restart(Selector::Crashed)),
            ]
        }
        Kind::Partition => {
            let groups = if rng.below(3) == 0 {
                vec![vec![Selector::Leader], vec![Selector::Rest]]
            } else {
                let mut ids: Vec<u16> = (0..node_count).collect();
                rng.shuffle(&mut ids);
                let split = rng.range_inclusive(1, u64::from(node_count) - 1) as usize;
                let group =
                    |ids: &[u16]| ids.iter().map(|&id| Selector::Node(NodeId(id))).collect();
                vec![group(&ids[..split]), group(&ids[split..])]
            };
            vec![
                at(at_ms, FaultAction::Partition(groups)),
                at(undo_ms, FaultAction::Heal),
            ]
        }
        Kind::Isolate => vec![
            at(at_ms, FaultAction::Isolate(victim(rng))),
            at(undo_ms, FaultAction::Heal),
        ],
        Kind::Cut => {
            let (from, to) = (victim(rng), victim(rng));
            vec![
                at(
                    at_ms,
                    FaultAction::Cut {
                        from: vec![from],
                        to: vec![to],
                    },
                ),
                at(undo_ms, FaultAction::Heal),
            ]
        }
        Kind::LossBurst => {
            let burst = LinkChange {
                drop: Some(Ratio::from_ppm(rng.range_inclusive(200_000, 600_000) as u32)),
                duplicate: Some(Ratio::from_ppm(rng.range_inclusive(0, 200_000) as u32)),
                ..LinkChange::default()
            };
            vec![
                at(at_ms, FaultAction::SetLinks(burst)),
                at(undo_ms, FaultAction::SetLinks(restore(links))),
            ]
        }
    }
}

/// The liveness phase starts: links up, the network as drawn, every node running.
fn heal_everything(at_ms: u64, node_count: u16, links: &LinkModel) -> Vec<Fault> {
    let mut faults = vec![
        Fault {
            at_us: ms(at_ms),
            action: FaultAction::Heal,
        },
        Fault {
            at_us: ms(at_ms),
            action: FaultAction::SetLinks(restore(links)),
        },
    ];
    for id in 0..node_count {
        faults.push(Fault {
            at_us: ms(at_ms),
            action: FaultAction::Restart(Selector::Node(NodeId(id))),
        });
    }
    faults
}

fn restore(links: &LinkModel) -> LinkChange {
    LinkChange {
        drop: Some(links.drop),
        duplicate: Some(links.duplicate),
        latency_us_min: Some(links.latency_us_min),
        latency_us_max: Some(links.latency_us_max),
    }
}
