//! Structured recording of a run, for pictures such as the space-time diagram.
//!
//! Off by default: the simulator holds an `Option<Box<Recorder>>` and every hook is one branch
//! on it, so an unrecorded run allocates and formats nothing here. A recording never feeds
//! the trace hash: a run hashes the same with and without it.

use std::collections::{BTreeMap, VecDeque};

use crate::protocol::{NodeId, Observation};

/// The longest message text kept for a tooltip; longer text is cut with an ellipsis, so a
/// recording's memory grows with the number of messages, not with their size.
const DETAIL_CHARS_MAX: usize = 240;

/// Everything a recorded run saw, in the order it happened.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    pub protocol: &'static str,
    pub node_count: u16,
    /// Virtual time at the end of the run.
    pub end_us: u64,
    pub messages: Vec<MessageRecord>,
    pub timers: Vec<TimerRecord>,
    pub node_events: Vec<NodeEvent>,
    pub observations: Vec<ObservationRecord>,
    /// Every applied fault, with its text (`crash leader`, `heal`, …).
    pub faults: Vec<FaultRecord>,
    /// The links that are down after each change of connectivity (partition, cut, isolate,
    /// heal); the first entry, at time zero, is the full mesh.
    pub connectivity: Vec<ConnectivityChange>,
}

/// One message (or one duplicate copy of a message) from its send to its fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRecord {
    pub from: NodeId,
    pub to: NodeId,
    pub sent_us: u64,
    /// The kind of message: the leading name of its `Debug` text (`AppendEntries`).
    pub label: String,
    /// The message's `Debug` text, cut to a bounded length.
    pub detail: String,
    /// True for the extra copy the network made of a message.
    pub duplicate: bool,
    pub fate: MessageFate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageFate {
    Delivered {
        at_us: u64,
    },
    Dropped {
        at_us: u64,
        why: DropReason,
    },
    /// Still in flight when the run ended; it was due at `due_us`.
    InFlight {
        due_us: u64,
    },
}

/// Why the network or the receiver lost a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// The link was cut (partition, one-way cut, isolation) when it was sent.
    LinkCut,
    /// The link was cut while the message was in flight.
    LinkCutInFlight,
    /// The network's random loss.
    RandomLoss,
    /// The receiver was down when it was sent.
    ReceiverDown,
    /// The receiver crashed while the message was in flight.
    ReceiverCrashed,
}

impl DropReason {
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::LinkCut => "link cut",
            DropReason::LinkCutInFlight => "link cut in flight",
            DropReason::RandomLoss => "random loss",
            DropReason::ReceiverDown => "receiver down",
            DropReason::ReceiverCrashed => "receiver crashed in flight",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimerRecord {
    pub at_us: u64,
    pub node: NodeId,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEventKind {
    Crashed,
    Restarted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    pub at_us: u64,
    pub node: NodeId,
    pub kind: NodeEventKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObservationRecord {
    pub at_us: u64,
    pub step: u64,
    pub node: NodeId,
    pub observation: Observation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRecord {
    pub at_us: u64,
    pub step: u64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectivityChange {
    pub at_us: u64,
    /// The directed links `(from, to)` that are down from now on, sorted.
    pub links_down: Vec<(NodeId, NodeId)>,
}

/// What a recording keeps, so a long run's recording stays as small as the picture needs.
/// Crashes, restarts, faults, connectivity and leadership observations are always kept (they
/// are few, and a leadership or a crash that began earlier still shows in a window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// Everything from the start of the run.
    All,
    /// What ends no earlier than this long before the current time: enough for a window
    /// that ends where the run ends (its end, or the violation that stopped it).
    LastUs(u64),
    /// What overlaps `start_us..=end_us`.
    Between { start_us: u64, end_us: u64 },
}

impl Retention {
    /// Records ending before this are dropped.
    fn cutoff_us(self, now_us: u64) -> u64 {
        match self {
            Retention::All => 0,
            Retention::LastUs(span_us) => now_us.saturating_sub(span_us),
            Retention::Between { start_us, .. } => start_us,
        }
    }

    /// True when a record starting at `at_us` can be skipped outright.
    fn after_window(self, at_us: u64) -> bool {
        matches!(self, Retention::Between { end_us, .. } if at_us > end_us)
    }
}

/// Builds a [`Recording`] from the simulator's hooks.
#[derive(Debug)]
pub(crate) struct Recorder {
    recording: Recording,
    retention: Retention,
    /// Messages still kept, in send order; `first_message` is the number dropped before them.
    messages: VecDeque<MessageRecord>,
    first_message: usize,
    timers: VecDeque<TimerRecord>,
    observations: VecDeque<ObservationRecord>,
    /// Messages in flight by `(from, to, arrival time)`, oldest first, as numbers in send
    /// order. The event queue pops events of one time in the order they were pushed, so the
    /// front is the one arriving.
    in_flight: BTreeMap<(NodeId, NodeId, u64), VecDeque<usize>>,
    /// Messages sent so far, skipped ones included.
    sent_count: usize,
}

impl Recorder {
    pub(crate) fn new(protocol: &'static str, node_count: u16, retention: Retention) -> Recorder {
        let mut recording = Recording {
            protocol,
            node_count,
            ..Recording::default()
        };
        recording.connectivity.push(ConnectivityChange {
            at_us: 0,
            links_down: Vec::new(),
        });
        Recorder {
            recording,
            retention,
            messages: VecDeque::new(),
            first_message: 0,
            timers: VecDeque::new(),
            observations: VecDeque::new(),
            in_flight: BTreeMap::new(),
            sent_count: 0,
        }
    }

    /// A message sent at `now_us`: `Ok(delay)` when the network took it (and the delay of
    /// the duplicate copy it made, if any), or why it was dropped at once. Out of line, and
    /// taking only the recorder, so the simulator's hot path keeps just the branch.
    #[cold]
    #[inline(never)]
    pub(crate) fn sent<M: std::fmt::Debug>(
        &mut self,
        from: NodeId,
        to: NodeId,
        now_us: u64,
        msg: &M,
        fate: Result<u64, DropReason>,
        duplicate_delay_us: Option<u64>,
    ) {
        if self.retention.after_window(now_us) {
            // Not kept, so not tracked in flight either; counted to keep numbers in order.
            self.sent_count += 1 + usize::from(duplicate_delay_us.is_some());
            return;
        }
        let detail = format!("{msg:?}");
        if let Some(duplicate_us) = duplicate_delay_us {
            let arrival_us = now_us.saturating_add(duplicate_us);
            self.keep_sent(from, to, now_us, detail.clone(), true, Ok(arrival_us));
        }
        let fate = fate.map(|delay_us| now_us.saturating_add(delay_us));
        self.keep_sent(from, to, now_us, detail, false, fate);
    }

    fn keep_sent(
        &mut self,
        from: NodeId,
        to: NodeId,
        now_us: u64,
        detail: String,
        duplicate: bool,
        fate: Result<u64, DropReason>,
    ) {
        let number = self.sent_count;
        self.sent_count += 1;
        self.forget_before(now_us);
        let fate = match fate {
            Ok(arrival_us) => {
                self.in_flight
                    .entry((from, to, arrival_us))
                    .or_default()
                    .push_back(number);
                MessageFate::InFlight { due_us: arrival_us }
            }
            Err(why) => MessageFate::Dropped { at_us: now_us, why },
        };
        if self.messages.is_empty() {
            self.first_message = number;
        }
        debug_assert_eq!(self.first_message + self.messages.len(), number);
        self.messages.push_back(MessageRecord {
            from,
            to,
            sent_us: now_us,
            label: label_of(&detail),
            detail: bounded(detail),
            duplicate,
            fate,
        });
    }

    /// The message from `from` to `to` due at `now_us` arrived (`Ok`) or was lost on arrival.
    pub(crate) fn arrived(
        &mut self,
        from: NodeId,
        to: NodeId,
        now_us: u64,
        outcome: Result<(), DropReason>,
    ) {
        let key = (from, to, now_us);
        // Messages sent after a window were never tracked.
        let Some(queue) = self.in_flight.get_mut(&key) else {
            return;
        };
        let number = queue.pop_front().expect("queues are removed when empty");
        if queue.is_empty() {
            self.in_flight.remove(&key);
        }
        let Some(message) = self.messages.get_mut(number - self.first_message) else {
            debug_assert!(false, "an in-flight message was forgotten: {key:?}");
            return;
        };
        message.fate = match outcome {
            Ok(()) => MessageFate::Delivered { at_us: now_us },
            Err(why) => MessageFate::Dropped { at_us: now_us, why },
        };
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn timer<T: std::fmt::Debug>(&mut self, node: NodeId, now_us: u64, timer: &T) {
        if self.retention.after_window(now_us) {
            return;
        }
        self.forget_before(now_us);
        self.timers.push_back(TimerRecord {
            at_us: now_us,
            node,
            label: format!("{timer:?}"),
        });
    }

    pub(crate) fn node_event(&mut self, node: NodeId, now_us: u64, kind: NodeEventKind) {
        self.recording.node_events.push(NodeEvent {
            at_us: now_us,
            node,
            kind,
        });
    }

    pub(crate) fn observation(
        &mut self,
        node: NodeId,
        now_us: u64,
        step: u64,
        observation: Observation,
    ) {
        if self.retention.after_window(now_us) {
            return;
        }
        self.forget_before(now_us);
        self.observations.push_back(ObservationRecord {
            at_us: now_us,
            step,
            node,
            observation,
        });
    }

    pub(crate) fn fault(&mut self, now_us: u64, step: u64, text: String) {
        self.recording.faults.push(FaultRecord {
            at_us: now_us,
            step,
            text,
        });
    }

    /// Notes the links down now, if they differ from the last note.
    pub(crate) fn connectivity(&mut self, now_us: u64, links_down: Vec<(NodeId, NodeId)>) {
        let last = self.recording.connectivity.last();
        if last.is_some_and(|change| change.links_down == links_down) {
            return;
        }
        self.recording.connectivity.push(ConnectivityChange {
            at_us: now_us,
            links_down,
        });
    }

    /// Drops, from the front, what ended before the retention's cutoff. Messages go in send
    /// order, so one still in flight at the front holds back the rest for at most its
    /// latency.
    fn forget_before(&mut self, now_us: u64) {
        let cutoff_us = self.retention.cutoff_us(now_us);
        if cutoff_us == 0 {
            return;
        }
        while let Some(front) = self.messages.front() {
            let ended_us = match front.fate {
                MessageFate::Delivered { at_us } | MessageFate::Dropped { at_us, .. } => at_us,
                MessageFate::InFlight { .. } => break,
            };
            if ended_us >= cutoff_us {
                break;
            }
            self.messages.pop_front();
            self.first_message += 1;
        }
        while self.timers.front().is_some_and(|t| t.at_us < cutoff_us) {
            self.timers.pop_front();
        }
        while let Some(front) = self.observations.front() {
            if front.at_us >= cutoff_us {
                break;
            }
            let old = self.observations.pop_front().expect("front exists");
            if matches!(
                old.observation,
                Observation::BecameLeader { .. } | Observation::SteppedDown { .. }
            ) {
                self.recording.observations.push(old);
            }
        }
    }

    pub(crate) fn finish(mut self, end_us: u64) -> Recording {
        self.recording.end_us = end_us;
        self.recording.messages = self.messages.into();
        self.recording.timers = self.timers.into();
        self.recording.observations.extend(self.observations);
        self.recording
    }
}

/// `AppendEntries { term: 3, … }` -> `AppendEntries`; text that does not start with a name
/// is its own label, cut short.
fn label_of(detail: &str) -> String {
    let name: String = detail
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    if name.is_empty() {
        detail.chars().take(20).collect()
    } else {
        name
    }
}

fn bounded(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(DETAIL_CHARS_MAX) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_match_sends_in_order_per_link_and_time() {
        let (a, b) = (NodeId(0), NodeId(1));
        let mut recorder = Recorder::new("test", 2, Retention::All);
        recorder.keep_sent(a, b, 10, "First { x: 1 }".into(), false, Ok(15));
        recorder.keep_sent(a, b, 11, "Second".into(), false, Ok(15));
        recorder.keep_sent(b, a, 12, "Lost".into(), false, Err(DropReason::RandomLoss));
        recorder.arrived(a, b, 15, Ok(()));
        recorder.arrived(a, b, 15, Err(DropReason::ReceiverCrashed));
        let recording = recorder.finish(20);
        let fates: Vec<MessageFate> = recording.messages.iter().map(|m| m.fate).collect();
        assert_eq!(
            fates,
            [
                MessageFate::Delivered { at_us: 15 },
                MessageFate::Dropped {
                    at_us: 15,
                    why: DropReason::ReceiverCrashed
                },
                MessageFate::Dropped {
                    at_us: 12,
                    why: DropReason::RandomLoss
                },
            ]
        );
        assert_eq!(recording.messages[0].label, "First");
        assert_eq!(recording.end_us, 20);
    }

    #[test]
    fn long_details_are_cut_and_labels_are_names() {
        let long = "x".repeat(DETAIL_CHARS_MAX + 50);
        let text = bounded(long);
        assert_eq!(text.chars().count(), DETAIL_CHARS_MAX + 1);
        assert!(text.ends_with('…'));
        assert_eq!(bounded("short".into()), "short");
        assert_eq!(label_of("VoteReply { granted: true }"), "VoteReply");
        assert_eq!(label_of("(1, 2)"), "(1, 2)");
    }

    #[test]
    fn retention_forgets_what_ended_before_the_window_but_keeps_leaderships() {
        let (a, b) = (NodeId(0), NodeId(1));
        let mut recorder = Recorder::new("test", 2, Retention::LastUs(100));
        recorder.observation(a, 0, 1, Observation::BecameLeader { term: 1 });
        recorder.observation(
            a,
            5,
            2,
            Observation::Voted {
                term: 1,
                candidate: a,
            },
        );
        recorder.keep_sent(a, b, 10, "Old".into(), false, Ok(20));
        recorder.keep_sent(a, b, 15, "Slow".into(), false, Ok(400));
        recorder.arrived(a, b, 20, Ok(()));
        recorder.timer(a, 30, &"Tick");
        recorder.keep_sent(b, a, 300, "New".into(), false, Ok(310));
        recorder.arrived(a, b, 400, Ok(()));
        recorder.arrived(b, a, 310, Err(DropReason::ReceiverCrashed));
        let recording = recorder.finish(400);
        let labels: Vec<&str> = recording
            .messages
            .iter()
            .map(|m| m.label.as_str())
            .collect();
        // "Old" ended at 20, before 300 - 100; "Slow" was in flight then, so it is kept.
        assert_eq!(labels, ["Slow", "New"]);
        assert_eq!(
            recording.messages[0].fate,
            MessageFate::Delivered { at_us: 400 }
        );
        assert!(recording.timers.is_empty());
        assert_eq!(
            recording
                .observations
                .iter()
                .map(|o| o.step)
                .collect::<Vec<_>>(),
            [1],
            "the leadership is kept, the vote is forgotten"
        );

        let mut recorder = Recorder::new(
            "test",
            2,
            Retention::Between {
                start_us: 0,
                end_us: 50,
            },
        );
        recorder.sent(a, b, 10, &"In", Ok(50), None);
        recorder.sent(a, b, 70, &"After", Ok(10), Some(20));
        recorder.arrived(a, b, 60, Ok(()));
        recorder.arrived(a, b, 80, Ok(()));
        let recording = recorder.finish(100);
        assert_eq!(recording.messages.len(), 1);
        assert_eq!(
            recording.messages[0].fate,
            MessageFate::Delivered { at_us: 60 }
        );
    }

    #[test]
    fn unchanged_connectivity_is_noted_once() {
        let mut recorder = Recorder::new("test", 2, Retention::All);
        recorder.connectivity(5, Vec::new());
        recorder.connectivity(6, vec![(NodeId(0), NodeId(1))]);
        recorder.connectivity(7, vec![(NodeId(0), NodeId(1))]);
        let recording = recorder.finish(9);
        let times: Vec<u64> = recording.connectivity.iter().map(|c| c.at_us).collect();
        assert_eq!(times, [0, 6]);
    }
}
