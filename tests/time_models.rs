//! Where time goes besides the network, seen from a node: a message sent after a durable
//! write leaves when the write is on disk, a crash loses what was not yet written, a slow disk
//! slows it, and timers run on each node's own clock (drift, skew, jumps, jitter). A ticker
//! protocol makes each effect land at a time the test can compute exactly.

use quorumsim::net::LinkModel;
use quorumsim::protocol::{ClientReply, Command, Ctx, NodeId, Protocol};
use quorumsim::sim::recording::MessageFate;
use quorumsim::sim::{
    ClockModel, FaultAction, Recording, Retention, Selector, SimConfig, Simulator, StorageModel,
    TraceSink,
};
use quorumsim::time::ms;

/// n0 ticks every `period_us`; on each tick it may write, then tells n1 how many writes its
/// disk holds. On every boot it tells n1 what survived.
#[derive(Clone, Copy, Debug)]
struct TickerConfig {
    period_us: u64,
    writes: bool,
}

#[derive(Clone, Debug, Hash)]
enum TickerMsg {
    Booted { writes: u64 },
    Ticked { writes: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Tick;

#[derive(Clone, Debug, Default)]
struct TickerDurable {
    writes: u64,
}

struct Ticker {
    config: TickerConfig,
}

const TICKER: NodeId = NodeId(0);
const LISTENER: NodeId = NodeId(1);

impl Protocol for Ticker {
    type Config = TickerConfig;
    type Msg = TickerMsg;
    type Timer = Tick;
    type Durable = TickerDurable;
    const NAME: &'static str = "ticker";

    fn on_start(config: &TickerConfig, ctx: &mut Ctx<'_, Self>) -> Self {
        if ctx.id() == TICKER {
            let writes = ctx.durable.writes;
            ctx.send(LISTENER, TickerMsg::Booted { writes });
            ctx.set_timer(Tick, config.period_us..=config.period_us);
        }
        Ticker { config: *config }
    }

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: TickerMsg) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: Tick) {
        if self.config.writes {
            ctx.durable.writes += 1;
        }
        let writes = ctx.durable.writes;
        ctx.send(LISTENER, TickerMsg::Ticked { writes });
        let period_us = self.config.period_us;
        ctx.set_timer(Tick, period_us..=period_us);
    }

    fn on_client_request(&mut self, _ctx: &mut Ctx<'_, Self>, _command: Command) -> ClientReply {
        ClientReply::NotLeader { leader_hint: None }
    }
}

const PERIOD_US: u64 = 50_000;
const LATENCY_US: u64 = 1_000;

/// Two nodes over a 1 ms link, for `duration_ms`.
fn config(duration_ms: u64) -> SimConfig {
    SimConfig::new(2)
        .with_seed(3)
        .with_duration_us(ms(duration_ms))
        .with_links(LinkModel {
            latency_us_min: LATENCY_US,
            latency_us_max: LATENCY_US,
            ..LinkModel::default()
        })
}

fn record(config: SimConfig, writes: bool) -> Recording {
    let ticker = TickerConfig {
        period_us: PERIOD_US,
        writes,
    };
    let (report, recording) =
        Simulator::<Ticker>::new(config, ticker, TraceSink::Off).run_recorded(Retention::All);
    assert!(report.outcome.is_pass(), "{}", report.outcome);
    recording
}

/// When each message of kind `label` left n0, with its text.
fn departures(recording: &Recording, label: &str) -> Vec<(u64, String)> {
    recording
        .messages
        .iter()
        .filter(|message| message.from == TICKER && message.label == label)
        .map(|message| (message.sent_us, message.detail.clone()))
        .collect()
}

/// When n0's timers fired.
fn ticks(recording: &Recording) -> Vec<u64> {
    recording
        .timers
        .iter()
        .filter(|timer| timer.node == TICKER)
        .map(|timer| timer.at_us)
        .collect()
}

fn fixed_disk(write_ms: u64) -> StorageModel {
    StorageModel {
        write_us_min: ms(write_ms),
        write_us_max: ms(write_ms),
    }
}

#[test]
fn a_message_sent_after_a_write_leaves_when_the_write_is_on_disk() {
    let timed = config(175).with_storage(fixed_disk(20));
    let left: Vec<u64> = departures(&record(timed.clone(), true), "Ticked")
        .into_iter()
        .map(|(at_us, _)| at_us)
        .collect();
    assert_eq!(left, [70_000, 120_000, 170_000]);
    // Without a write nothing waits for the disk; with an instant disk nothing waits at all.
    let unwritten = departures(&record(timed, false), "Ticked");
    let instant = departures(&record(config(175), true), "Ticked");
    for untimed in [unwritten, instant] {
        let at: Vec<u64> = untimed.into_iter().map(|(at_us, _)| at_us).collect();
        assert_eq!(at, [50_000, 100_000, 150_000]);
    }
}

#[test]
fn a_crash_loses_the_write_not_yet_on_disk_and_the_message_waiting_for_it() {
    // The tick at 100 ms writes the second count; its write is on disk at 120 ms.
    let booted_after_crash_at = |crash_ms: u64| {
        let run = config(290)
            .with_storage(fixed_disk(20))
            .with_fault(ms(crash_ms), FaultAction::Crash(Selector::Node(TICKER)))
            .with_fault(
                ms(crash_ms + 5),
                FaultAction::Restart(Selector::Node(TICKER)),
            );
        let recording = record(run, true);
        let ticked: Vec<u64> = departures(&recording, "Ticked")
            .into_iter()
            .map(|(at_us, _)| at_us)
            .collect();
        let booted = departures(&recording, "Booted");
        (ticked, booted[1].1.clone())
    };
    let (ticked, booted) = booted_after_crash_at(110);
    assert_eq!(booted, "Booted { writes: 1 }");
    // The message waiting for the lost write never left; after the restart at 115 ms the
    // ticker ticks at 165, 215 and 265 ms, each message 20 ms later.
    assert_eq!(ticked, [70_000, 185_000, 235_000, 285_000]);
    let (ticked, booted) = booted_after_crash_at(125);
    assert_eq!(booted, "Booted { writes: 2 }");
    assert_eq!(ticked, [70_000, 120_000, 200_000, 250_000]);
}

#[test]
fn a_crash_of_the_writing_node_strikes_only_while_a_write_is_on_its_way() {
    // The tick at 100 ms writes the second count, on disk at 120 ms; the listener never
    // writes. At 110 ms the ticker is the one node writing, and loses the write; at 130 ms
    // no node is, and the fault is skipped.
    let booted_after_crash_at = |crash_ms: u64| {
        let run = config(290)
            .with_storage(fixed_disk(20))
            .with_fault(ms(crash_ms), FaultAction::Crash(Selector::Writing))
            .with_fault(ms(crash_ms + 5), FaultAction::Restart(Selector::Crashed));
        let recording = record(run, true);
        let booted: Vec<String> = departures(&recording, "Booted")
            .into_iter()
            .map(|(_, text)| text)
            .collect();
        booted
    };
    assert_eq!(
        booted_after_crash_at(110),
        ["Booted { writes: 0 }", "Booted { writes: 1 }"]
    );
    assert_eq!(booted_after_crash_at(130), ["Booted { writes: 0 }"]);
}

#[test]
fn a_slow_disk_fault_multiplies_the_write_time() {
    let run = config(100).with_storage(fixed_disk(20)).with_fault(
        ms(10),
        FaultAction::SlowDisk {
            node: Selector::Node(TICKER),
            factor: 2,
        },
    );
    let left = departures(&record(run, true), "Ticked");
    assert_eq!(left[0].0, 90_000, "{left:?}");
}

#[test]
fn a_fast_clock_fires_its_timers_early() {
    // From 1 ms the clock gains 10%: a 50 ms timer set after that takes 50/1.1 ms of true
    // time. The first timer was set at 0 by a perfect clock.
    let run = config(200).with_fault(
        ms(1),
        FaultAction::ClockSkew {
            node: Selector::Node(TICKER),
            drift_ppm: 100_000,
        },
    );
    let at = ticks(&record(run, false));
    let gaps: Vec<u64> = at.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert_eq!(at[0], 50_000);
    assert!(
        gaps.iter().all(|&gap| gap.abs_diff(45_454) <= 1),
        "{gaps:?}"
    );
}

#[test]
fn a_clock_jump_moves_the_pending_timer() {
    let jumped = |by_us: i64| {
        let run = config(120).with_fault(
            ms(10),
            FaultAction::ClockJump {
                node: Selector::Node(TICKER),
                by_us,
            },
        );
        ticks(&record(run, false))
    };
    assert_eq!(jumped(30_000), [20_000, 70_000, 120_000]);
    assert_eq!(jumped(-30_000), [80_000]);
    // A jump past the timer fires it at once, not in the past.
    assert_eq!(jumped(45_000)[0], 10_000);
}

#[test]
fn timer_jitter_makes_timers_late_never_early() {
    let run = config(5_000).with_clocks(ClockModel {
        drift_ppm_max: 0,
        timer_jitter_us_max: 1_000,
    });
    let at = ticks(&record(run, false));
    let lateness: Vec<u64> = at
        .windows(2)
        .map(|pair| pair[1] - pair[0] - PERIOD_US)
        .collect();
    assert!(lateness.iter().all(|&late| late <= 1_000), "{lateness:?}");
    let distinct: std::collections::BTreeSet<u64> = lateness.iter().copied().collect();
    assert!(distinct.len() > 10, "jitter varies: {distinct:?}");
}

#[test]
fn drift_makes_each_node_s_clock_its_own_within_the_bound() {
    // A drift of up to 1%: tick gaps stay within 1% of the period, and seeds differ.
    let gaps = |seed: u64| {
        let run = config(1_000).with_seed(seed).with_clocks(ClockModel {
            drift_ppm_max: 10_000,
            timer_jitter_us_max: 0,
        });
        let at = ticks(&record(run, false));
        at[2] - at[1]
    };
    let seen: Vec<u64> = (1..=8).map(gaps).collect();
    assert!(
        seen.iter().all(|&gap| gap.abs_diff(PERIOD_US) <= 505),
        "{seen:?}"
    );
    assert!(seen.iter().any(|&gap| gap != seen[0]), "{seen:?}");
}

#[test]
fn delivery_follows_departure_by_the_link_latency() {
    let recording = record(config(100).with_storage(fixed_disk(20)), true);
    for message in &recording.messages {
        if let MessageFate::Delivered { at_us } = message.fate {
            assert_eq!(at_us, message.sent_us + LATENCY_US, "{message:?}");
        }
    }
}
