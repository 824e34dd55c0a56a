//! A protocol of a user's own, plugged in through the public API only: a toy primary-backup
//! log with a fixed primary n0. The simulator gives it the network, faults and the generic
//! invariants; its broken variants show the generic invariants catch what they claim to.

use quorumsim::hash::stable_hash;
use quorumsim::net::LinkModel;
use quorumsim::prng::Ratio;
use quorumsim::protocol::{ClientReply, Command, Ctx, KvStore, NodeId, Observation, Protocol};
use quorumsim::sim::{
    ClientTarget, Expectations, Fault, FaultAction, Outcome, Selector, SimConfig, Simulator,
    TraceSink, Workload,
};
use quorumsim::time::ms;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Breakage {
    None,
    /// Followers append whatever arrives at the end of their log, ignoring its index.
    AppendAnywhere,
    /// n1 also declares itself primary of term 1.
    TwoPrimaries,
    /// n1 claims to be primary of term 1 too, then its own assertion trips in the same step.
    TwoPrimariesThenAssert,
    /// A restarted follower panics.
    PanicOnRestart,
    /// The primary sends to a node that is not in the cluster.
    SendToStranger,
    /// The local consistency check itself panics.
    PanickyCheck,
}

#[derive(Clone, Debug, Hash)]
pub(crate) enum ToyMsg {
    Replicate { index: u64, command: Command },
    Ack { contiguous: u64 },
    Commit { upto: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ToyTimer {
    Resend,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ToyDurable {
    log: Vec<Command>,
}

/// The toy's configuration: how often the primary re-sends, and what is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ToyConfig {
    pub resend_us: u64,
    pub breakage: Breakage,
}

impl From<Breakage> for ToyConfig {
    fn from(breakage: Breakage) -> ToyConfig {
        ToyConfig {
            resend_us: ms(20),
            breakage,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Toy {
    breakage: Breakage,
    resend_us: u64,
    acked: Vec<u64>,
    commit: u64,
    store: KvStore,
}

const TERM: u64 = 1;
const PRIMARY: NodeId = NodeId(0);

impl Protocol for Toy {
    type Config = ToyConfig;
    type Msg = ToyMsg;
    type Timer = ToyTimer;
    type Durable = ToyDurable;
    const NAME: &'static str = "toy";

    fn on_start(config: &ToyConfig, ctx: &mut Ctx<'_, Self>) -> Self {
        let breakage = &config.breakage;
        if *breakage == Breakage::PanicOnRestart && ctx.is_restart() {
            panic!("toy follower cannot restart");
        }
        // Every node greets the others as it boots: nodes booting later must still get it.
        ctx.broadcast(ToyMsg::Commit { upto: 0 });
        let is_primary = ctx.id() == PRIMARY
            || (matches!(
                *breakage,
                Breakage::TwoPrimaries | Breakage::TwoPrimariesThenAssert
            ) && ctx.id() == NodeId(1));
        if is_primary {
            ctx.observe(Observation::BecameLeader { term: TERM });
            assert!(
                !(*breakage == Breakage::TwoPrimariesThenAssert && ctx.id() != PRIMARY),
                "a second primary of term {TERM}"
            );
            ctx.set_timer(ToyTimer::Resend, config.resend_us..=config.resend_us);
        } else {
            ctx.observe(Observation::Following {
                term: TERM,
                leader: PRIMARY,
            });
        }
        Toy {
            breakage: *breakage,
            resend_us: config.resend_us,
            acked: vec![0; usize::from(ctx.node_count())],
            commit: 0,
            store: KvStore::default(),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: ToyMsg) {
        match msg {
            ToyMsg::Replicate { index, command } => {
                let length = ctx.durable.log.len() as u64;
                let fits = match self.breakage {
                    Breakage::AppendAnywhere => index > length,
                    _ => index == length + 1,
                };
                if fits {
                    self.append(ctx, command);
                }
                let contiguous = ctx.durable.log.len() as u64;
                ctx.send(from, ToyMsg::Ack { contiguous });
            }
            ToyMsg::Ack { contiguous } => {
                let slot = &mut self.acked[from.index()];
                *slot = (*slot).max(contiguous);
                let mut acked = self.acked.clone();
                acked[ctx.id().index()] = ctx.durable.log.len() as u64;
                acked.sort_unstable_by(|a, b| b.cmp(a));
                self.commit_to(ctx, acked[ctx.quorum() - 1]);
            }
            ToyMsg::Commit { upto } => {
                let upto = upto.min(ctx.durable.log.len() as u64);
                self.commit_to(ctx, upto);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: ToyTimer) {
        for peer in ctx.peers().collect::<Vec<_>>() {
            let from = self.acked[peer.index()] as usize;
            for (offset, command) in ctx
                .durable
                .log
                .iter()
                .skip(from)
                .take(8)
                .copied()
                .enumerate()
                .collect::<Vec<_>>()
            {
                let index = (from + offset + 1) as u64;
                ctx.send(peer, ToyMsg::Replicate { index, command });
            }
            ctx.send(peer, ToyMsg::Commit { upto: self.commit });
        }
        ctx.set_timer(ToyTimer::Resend, self.resend_us..=self.resend_us);
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, Self>, command: Command) -> ClientReply {
        if ctx.id() != PRIMARY {
            return ClientReply::NotLeader {
                leader_hint: Some(PRIMARY),
            };
        }
        if self.breakage == Breakage::SendToStranger && command.id == 3 {
            ctx.send(NodeId(9), ToyMsg::Commit { upto: 0 });
        }
        self.append(ctx, command);
        let index = ctx.durable.log.len() as u64;
        ctx.broadcast(ToyMsg::Replicate { index, command });
        ClientReply::Accepted
    }

    fn check_local(&self, durable: &ToyDurable) -> Result<(), quorumsim::protocol::LocalViolation> {
        if self.breakage == Breakage::PanickyCheck && durable.log.len() == 2 {
            panic!("the check itself is broken");
        }
        Ok(())
    }
}

impl Toy {
    fn append(&mut self, ctx: &mut Ctx<'_, Self>, command: Command) {
        ctx.durable.log.push(command);
        let index = ctx.durable.log.len() as u64;
        ctx.observe(Observation::LogAppended {
            index,
            term: TERM,
            digest: stable_hash(&command),
        });
    }

    fn commit_to(&mut self, ctx: &mut Ctx<'_, Self>, upto: u64) {
        while self.commit < upto {
            self.commit += 1;
            let command = ctx.durable.log[self.commit as usize - 1];
            let index = self.commit;
            ctx.observe(Observation::Committed {
                index,
                term: TERM,
                digest: stable_hash(&command),
            });
            self.store.apply(&command);
            ctx.observe(Observation::Applied {
                index,
                state_digest: self.store.digest(),
            });
        }
    }
}

fn config(seed: u64) -> SimConfig {
    SimConfig {
        paranoid: false,
        node_count: 3,
        seed,
        duration_us: ms(3_000),
        max_steps: 1_000_000,
        max_in_flight: 100_000,
        links: LinkModel {
            latency_us_min: ms(1),
            latency_us_max: ms(15),
            drop: Ratio::from_ppm(50_000),
            duplicate: Ratio::from_ppm(50_000),
        },
        connections: Default::default(),
        storage: Default::default(),
        clocks: Default::default(),
        workload: Some(Workload {
            start_us: ms(10),
            stop_us: ms(2_500),
            interval_us_min: ms(2),
            interval_us_max: ms(8),
            key_count: 4,
            target: ClientTarget::Leader,
        }),
        faults: vec![
            Fault {
                at_us: ms(800),
                action: FaultAction::Crash(Selector::Node(NodeId(2))),
            },
            Fault {
                at_us: ms(1_200),
                action: FaultAction::Restart(Selector::Crashed),
            },
        ],
        expect: Expectations {
            leader_within_us: Some(ms(500)),
            commits_min: Some(100),
            ..Expectations::default()
        },
    }
}

fn run(breakage: Breakage, seed: u64) -> quorumsim::sim::RunReport {
    Simulator::<Toy>::new(config(seed), breakage.into(), TraceSink::Off).run()
}

#[test]
fn a_correct_user_protocol_passes_under_faults() {
    for seed in 0..20 {
        let report = run(Breakage::None, seed);
        assert!(report.outcome.is_pass(), "seed {seed}: {}", report.outcome);
        assert!(report.committed >= 100);
        assert_eq!(report.protocol, "toy");
        assert!(report.stats.messages_duplicated > 0 && report.stats.messages_dropped_loss > 0);
    }
}

#[test]
fn generic_invariants_catch_out_of_order_appends() {
    let log_invariants = [
        "log-matching",
        "committed-prefix-agreement",
        "state-machine-safety",
    ];
    let mut caught = 0;
    for seed in 0..10 {
        if let Outcome::Violation { violation, .. } = run(Breakage::AppendAnywhere, seed).outcome {
            assert!(
                log_invariants.contains(&violation.invariant),
                "{violation:?}"
            );
            caught += 1;
        }
    }
    assert!(caught >= 9, "caught only {caught} of 10 seeds");
}

#[test]
fn election_safety_catches_two_primaries() {
    match run(Breakage::TwoPrimaries, 0).outcome {
        Outcome::Violation {
            violation, step, ..
        } => {
            assert_eq!(violation.invariant, "election-safety");
            assert_eq!(violation.nodes, vec![NodeId(0), NodeId(1)]);
            assert_eq!(step, 2, "caught on the step it happened");
        }
        other => panic!("expected a violation, got {other}"),
    }
}

#[test]
fn a_violation_stays_the_finding_when_the_protocol_asserts_in_the_same_step() {
    match run(Breakage::TwoPrimariesThenAssert, 0).outcome {
        Outcome::Violation {
            violation, step, ..
        } => {
            assert_eq!(violation.invariant, "election-safety");
            assert_eq!(step, 2);
        }
        other => panic!("expected the violation the checkers saw first, got {other}"),
    }
}

#[test]
fn a_panicking_handler_is_an_outcome_not_a_crash() {
    let report = run(Breakage::PanicOnRestart, 5);
    match &report.outcome {
        Outcome::Panic {
            node,
            message,
            at_us,
            ..
        } => {
            assert_eq!(*node, Some(NodeId(2)));
            assert!(message.contains("toy follower cannot restart"), "{message}");
            assert_eq!(*at_us, ms(1_200));
        }
        other => panic!("expected a panic outcome, got {other}"),
    }
    assert_eq!(report.seed, 5);
}

#[test]
fn messages_sent_while_the_cluster_boots_reach_every_node() {
    let mut quiet = config(1);
    quiet.faults.clear();
    quiet.links.drop = Ratio::ZERO;
    let report = Simulator::<Toy>::new(quiet, Breakage::None.into(), TraceSink::Off).run();
    assert!(report.outcome.is_pass(), "{}", report.outcome);
    assert_eq!(
        report.stats.messages_dropped_down, 0,
        "boot greetings were lost"
    );
}

#[test]
fn sending_outside_the_cluster_is_a_reported_bug() {
    match run(Breakage::SendToStranger, 0).outcome {
        Outcome::Panic { node, message, .. } => {
            assert_eq!(node, Some(PRIMARY));
            assert!(message.contains("not in this 3-node cluster"), "{message}");
        }
        other => panic!("expected a panic outcome, got {other}"),
    }
}

#[test]
fn a_panic_in_the_local_check_is_an_outcome_too() {
    match run(Breakage::PanickyCheck, 0).outcome {
        Outcome::Panic { message, .. } => assert!(message.contains("the check itself is broken")),
        other => panic!("expected a panic outcome, got {other}"),
    }
}
