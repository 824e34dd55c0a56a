//! A vote that rests on a write still on its way to disk. A node writes its term in one step
//! and casts its vote for that term in a later step that writes nothing (as a Viewstamped
//! Replication replica sends DoViewChange on a view it moved to earlier). A crash before the
//! term reaches the disk loses the vote with it: a vote cast again in that term after the
//! restart is no double vote. Once the term is on disk, the same second vote is one, and
//! `vote-once-per-term` must say so.

use quorumsim::protocol::{ClientReply, Command, Ctx, NodeId, Observation, Protocol};
use quorumsim::sim::{
    FaultAction, Outcome, Selector, SimConfig, Simulator, StorageModel, TraceSink,
};
use quorumsim::time::ms;

const VOTER: NodeId = NodeId(0);
/// The term the voter moves to, then votes in, and (after the restart) votes in again.
const TERM: u64 = 1;
/// The voter writes its term at 10 ms, and the write takes this long.
const WRITE_US: u64 = ms(5);
const WRITE_AT_US: u64 = ms(10);
/// The vote, one step later, while the term is still being written.
const VOTE_AT_US: u64 = ms(11);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    WriteTerm,
    Vote,
}

#[derive(Clone, Debug, Default)]
struct VoterDurable {
    term: u64,
}

/// Node 0 writes `TERM`, then votes for node 1 in it; restarted, it votes for itself in
/// `TERM` whatever survived, which is a double vote only if the first vote did.
struct Voter;

impl Protocol for Voter {
    type Config = ();
    type Msg = ();
    type Timer = Step;
    type Durable = VoterDurable;
    const NAME: &'static str = "voter";

    fn on_start(_config: &(), ctx: &mut Ctx<'_, Self>) -> Self {
        if ctx.id() != VOTER {
            return Voter;
        }
        if ctx.is_restart() {
            ctx.durable.term = TERM;
            ctx.observe(Observation::Voted {
                term: TERM,
                candidate: VOTER,
            });
        } else {
            ctx.set_timer(Step::WriteTerm, WRITE_AT_US..=WRITE_AT_US);
            ctx.set_timer(Step::Vote, VOTE_AT_US..=VOTE_AT_US);
        }
        Voter
    }

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: ()) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, step: Step) {
        match step {
            Step::WriteTerm => ctx.durable.term = TERM,
            Step::Vote => ctx.observe(Observation::Voted {
                term: TERM,
                candidate: NodeId(1),
            }),
        }
    }

    fn on_client_request(&mut self, _ctx: &mut Ctx<'_, Self>, _command: Command) -> ClientReply {
        ClientReply::NotLeader { leader_hint: None }
    }
}

/// The voter crashed at `crash_at_us` and restarted 5 ms later.
fn run(crash_at_us: u64, paranoid: bool) -> Outcome {
    let config = SimConfig::new(2)
        .with_duration_us(ms(100))
        .with_storage(StorageModel {
            write_us_min: WRITE_US,
            write_us_max: WRITE_US,
        })
        .with_fault(crash_at_us, FaultAction::Crash(Selector::Node(VOTER)))
        .with_fault(
            crash_at_us + ms(5),
            FaultAction::Restart(Selector::Node(VOTER)),
        )
        .with_paranoid(paranoid);
    Simulator::<Voter>::new(config, (), TraceSink::Off)
        .run()
        .outcome
}

#[test]
fn a_crash_before_the_term_is_on_disk_loses_the_vote_cast_on_it() {
    for paranoid in [false, true] {
        let outcome = run(WRITE_AT_US + WRITE_US / 2, paranoid);
        assert!(outcome.is_pass(), "paranoid {paranoid}: {outcome}");
    }
}

#[test]
fn once_the_term_is_on_disk_the_vote_survives_and_a_second_one_is_caught() {
    for paranoid in [false, true] {
        match run(WRITE_AT_US + WRITE_US + 1, paranoid) {
            Outcome::Violation { violation, .. } => {
                assert_eq!(
                    violation.invariant, "vote-once-per-term",
                    "paranoid {paranoid}"
                )
            }
            other => panic!("paranoid {paranoid}: expected a double vote, got {other}"),
        }
    }
}
