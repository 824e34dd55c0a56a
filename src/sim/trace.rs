//! The trace: one record per thing that happens, folded into a rolling hash, and written as
//! text only when someone is watching. Hashing uses structured data (never the text), so an
//! unwatched run pays for a few multiplies per record, not for formatting.

use std::collections::VecDeque;
use std::io::Write;

use crate::sim::hash::chain;

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
    hash: u64,
    sink: TraceSink,
    tail: VecDeque<String>,
    write_failed: bool,
}

impl Trace {
    pub fn new(sink: TraceSink) -> Trace {
        Trace {
            hash: 0,
            sink,
            tail: VecDeque::new(),
            write_failed: false,
        }
    }

    /// Folds a record's structured hash into the trace hash.
    pub fn record(&mut self, record_hash: u64) {
        self.hash = chain(self.hash, record_hash);
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
        self.hash
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
