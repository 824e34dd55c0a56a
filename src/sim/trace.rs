//! The trace: one record per thing that happens, folded into a rolling hash, and written as
//! text only when someone is watching. Hashing uses structured data (never the text), so an
//! unwatched run pays for a few multiplies per record, not for formatting.
//!
//! Every record's fields go straight into one running [`StableHasher`], finalised once when
//! the hash is read, not once per record as hashing each record apart and chaining the
//! results would. Each step's number and virtual time go in once, ahead of its records; records begin with a [`TraceTag`], so they stay
//! apart in the stream.
//!
//! The hash covers what decides a run: every step's input (a delivered message with its
//! contents, a timer, a client request, a fault), every message lost, and the run's end. Lines
//! for facts those already fix (a send that arrives later, a node's observations) are text
//! only; the engine says why where it writes them.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::io::Write;

use crate::hash::StableHasher;

/// The kind of a trace record: the first field of every record, so records of different
/// kinds stay apart in the hash stream. Hashed as its one-byte value, which is part of every
/// pinned trace hash: a value never changes, and the gaps (kinds of record no longer hashed,
/// such as sends and observations) are not reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TraceTag {
    /// A node started, with whether it was a restart (`false` for its first boot).
    Start = 1,
    /// A message delivered, with its contents.
    Deliver = 2,
    /// A timer fired.
    Timer = 3,
    /// A client request handed to a node.
    ClientRequest = 4,
    /// The node's answer to a client request.
    ClientReply = 5,
    /// A message that reached a node that had crashed since it was sent.
    LostToCrash = 8,
    /// A message on a link cut while it was in flight.
    LostInFlight = 9,
    /// A message sent to a node that was down.
    DroppedToDownNode = 10,
    /// A message the network dropped at once (link cut, or random loss).
    Dropped = 11,
    /// A fault of the schedule fired (its index).
    Fault = 14,
    /// A node was cut off from all others.
    Isolated = 15,
    /// One-way links were cut.
    Cut = 16,
    /// A fault was skipped: no node was in a state it applies to.
    FaultSkipped = 17,
    /// A node crashed.
    Crashed = 18,
    /// The cluster was partitioned into groups.
    Partitioned = 19,
    /// The leader a live quorum acknowledges changed (or there is none).
    EstablishedLeader = 20,
    /// The run's end: its verdict, time and committed count.
    End = 21,
    /// A node's writes issued so far reached its disk; the messages waiting for them leave.
    DiskFlushed = 22,
    /// A crash lost writes that had not reached the disk (how many).
    WritesLost = 23,
    /// A node's disk slowed down or recovered, or its clock changed rate or jumped.
    NodeSlowed = 24,
    /// A node learned that its connection to a peer was reset.
    ConnectionReset = 25,
}

impl Hash for TraceTag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The byte alone, as the bare `u8` literals it replaced hashed: derived `Hash` would
        // write the discriminant as an `isize`, a different stream.
        (*self as u8).hash(state);
    }
}

/// Where trace text goes.
pub enum TraceSink {
    /// Nowhere: only the hash is kept.
    Off,
    /// Every line to this writer as it happens, e.g. standard output for `--trace`.
    Writer(Box<dyn Write>),
    /// The last `n` lines, kept in memory for a report.
    Tail(usize),
}

pub struct Trace {
    hasher: StableHasher,
    sink: TraceSink,
    tail: VecDeque<String>,
    write_failed: bool,
}

impl Trace {
    pub fn new(sink: TraceSink) -> Trace {
        Trace {
            hasher: StableHasher::default(),
            sink,
            tail: VecDeque::new(),
            write_failed: false,
        }
    }

    /// Starts the records of step `step` at `now_us`: both go into the hash once here rather
    /// than into each of the step's three or four records, which would hash the same two
    /// words again in every one.
    pub fn begin_step(&mut self, step: u64, now_us: u64) {
        self.hasher.write_u64(step);
        self.hasher.write_u64(now_us);
    }

    /// Folds a record's structured data into the trace hash.
    pub fn record<H: Hash + ?Sized>(&mut self, record: &H) {
        record.hash(&mut self.hasher);
    }

    /// True when text lines are wanted; callers format only then.
    pub fn wants_text(&self) -> bool {
        !matches!(self.sink, TraceSink::Off)
    }

    pub fn line(&mut self, text: String) {
        match &mut self.sink {
            TraceSink::Off => {}
            TraceSink::Writer(writer) => {
                // A closed pipe (`quorumsim run --trace | head`) must not abort the run.
                if !self.write_failed && writeln!(writer, "{text}").is_err() {
                    self.write_failed = true;
                }
            }
            TraceSink::Tail(keep) => {
                if *keep > 0 {
                    if self.tail.len() == *keep {
                        self.tail.pop_front();
                    }
                    self.tail.push_back(text);
                }
            }
        }
    }

    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn flush(&mut self) {
        if let TraceSink::Writer(writer) = &mut self.sink {
            let _ = writer.flush();
        }
    }

    pub fn take_tail(&mut self) -> Vec<String> {
        self.tail.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(records: &[(u64, u64, u8)]) -> u64 {
        let mut trace = Trace::new(TraceSink::Off);
        for record in records {
            trace.record(record);
        }
        trace.hash()
    }

    #[test]
    fn the_hash_depends_on_every_record_and_their_order() {
        let records = [(1, 0, 7), (2, 5, 8), (3, 9, 9)];
        assert_eq!(hash_of(&records), hash_of(&records));
        assert_ne!(hash_of(&records), hash_of(&records[..2]));
        assert_ne!(
            hash_of(&records),
            hash_of(&[(1, 0, 7), (3, 9, 9), (2, 5, 8)])
        );
        assert_ne!(
            hash_of(&records),
            hash_of(&[(1, 0, 7), (2, 5, 8), (3, 9, 10)])
        );
        assert_ne!(hash_of(&[]), hash_of(&[(0, 0, 0)]));
    }

    /// Every pinned trace hash depends on these values, and on a tag hashing as its byte.
    #[test]
    fn tags_keep_their_values_and_hash_as_one_byte() {
        let tags = [
            (TraceTag::Start, 1),
            (TraceTag::Deliver, 2),
            (TraceTag::Timer, 3),
            (TraceTag::ClientRequest, 4),
            (TraceTag::ClientReply, 5),
            (TraceTag::LostToCrash, 8),
            (TraceTag::LostInFlight, 9),
            (TraceTag::DroppedToDownNode, 10),
            (TraceTag::Dropped, 11),
            (TraceTag::Fault, 14),
            (TraceTag::Isolated, 15),
            (TraceTag::Cut, 16),
            (TraceTag::FaultSkipped, 17),
            (TraceTag::Crashed, 18),
            (TraceTag::Partitioned, 19),
            (TraceTag::EstablishedLeader, 20),
            (TraceTag::End, 21),
        ];
        for (tag, value) in tags {
            assert_eq!(tag as u8, value);
            let mut by_tag = Trace::new(TraceSink::Off);
            by_tag.record(&(tag, 7u64));
            let mut by_byte = Trace::new(TraceSink::Off);
            by_byte.record(&(value, 7u64));
            assert_eq!(by_tag.hash(), by_byte.hash(), "{tag:?}");
        }
    }
}
