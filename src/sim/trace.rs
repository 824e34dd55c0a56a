//! The trace: one record per thing that happens, folded into a rolling hash, and written as
//! text only when someone is watching. Hashing uses structured data (never the text), so an
//! unwatched run pays for a few multiplies per record, not for formatting.
//!
//! Every record's fields go straight into one running [`StableHasher`], finalised once when
//! the hash is read. (Hashing each record on its own and chaining the results cost two
//! finalisations per record, about 6% of a run's instructions.) Each step's number and virtual
//! time go in once, ahead of its records; records begin with a distinct tag, so they stay
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
    /// than into every record of the step (a step makes three or four records, and the two
    /// words were a fifth of the hashing).
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
}
