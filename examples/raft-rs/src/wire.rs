//! What travels between nodes and what a log entry carries: raft-rs's own `Message`, shipped
//! unchanged inside [`RaftRsMsg`] (which gives it the `Hash` the trace needs and a short
//! `Debug` for traces), and a client command as the bytes of an entry's `data`.

use std::fmt;
use std::hash::{Hash, Hasher};

use quorumsim::hash::stable_hash;
use quorumsim::protocol::{Command, NodeId};
use raft::eraftpb::{Entry, Message, Snapshot};

/// One raft-rs message as the library produced it; the receiver steps exactly this value.
#[derive(Clone, PartialEq)]
pub struct RaftRsMsg(pub Message);

/// raft-rs numbers nodes from 1 (0 means "none"); quorumsim from 0.
pub fn raft_id(node: NodeId) -> u64 {
    u64::from(node.0) + 1
}

/// The quorumsim node of raft-rs id `id`, or `None` for raft-rs's "no node" (0).
pub fn node_of(id: u64) -> Option<NodeId> {
    let index = id.checked_sub(1)?;
    Some(NodeId(
        u16::try_from(index).expect("raft ids fit the cluster"),
    ))
}

/// Every field a receiver reads goes into the trace hash, so two runs that deliver different
/// messages differ in their hash. The destructuring names every field: a field added to the
/// protocol fails to compile here until it is hashed.
impl Hash for RaftRsMsg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let Message {
            msg_type,
            to,
            from,
            term,
            log_term,
            index,
            entries,
            commit,
            commit_term,
            snapshot,
            request_snapshot,
            reject,
            reject_hint,
            context,
            deprecated_priority,
            priority,
            unknown_fields: _,
            cached_size: _,
        } = &self.0;
        (*msg_type as i32).hash(state);
        (to, from, term, log_term, index, commit, commit_term).hash(state);
        (
            request_snapshot,
            reject,
            reject_hint,
            deprecated_priority,
            priority,
        )
            .hash(state);
        context[..].hash(state);
        entries.len().hash(state);
        for entry in entries.iter() {
            hash_entry(entry, state);
        }
        match snapshot.as_ref() {
            Some(snapshot) => snapshot_text(snapshot).hash(state),
            None => 0u8.hash(state),
        }
    }
}

fn hash_entry<H: Hasher>(entry: &Entry, state: &mut H) {
    let Entry {
        entry_type,
        term,
        index,
        data,
        context,
        sync_log,
        unknown_fields: _,
        cached_size: _,
    } = entry;
    (*entry_type as i32, term, index, sync_log).hash(state);
    data[..].hash(state);
    context[..].hash(state);
}

/// The adapter never compacts its log, so no snapshot is ever sent; should one be, its
/// protobuf text (every field, in field order) stands for it in the hash.
fn snapshot_text(snapshot: &Snapshot) -> String {
    format!("{snapshot:?}")
}

/// A trace line names the message type and the fields that are set, entries as
/// `index/term`: `MsgAppend term=3 log_term=2 index=5 commit=4 entries=[6/3 7/3]`.
impl fmt::Debug for RaftRsMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = &self.0;
        write!(f, "{:?} term={}", message.get_msg_type(), message.term)?;
        let numbers = [
            ("log_term", message.log_term),
            ("index", message.index),
            ("commit", message.commit),
            ("commit_term", message.commit_term),
            ("reject_hint", message.reject_hint),
            ("request_snapshot", message.request_snapshot),
        ];
        for (name, value) in numbers {
            if value != 0 {
                write!(f, " {name}={value}")?;
            }
        }
        if message.reject {
            write!(f, " reject")?;
        }
        if !message.entries.is_empty() {
            write!(f, " entries=[")?;
            for (position, entry) in message.entries.iter().enumerate() {
                let separator = if position == 0 { "" } else { " " };
                write!(f, "{separator}{}/{}", entry.index, entry.term)?;
            }
            write!(f, "]")?;
        }
        if let Some(snapshot) = message.snapshot.as_ref() {
            let metadata = snapshot.get_metadata();
            write!(f, " snapshot={}/{}", metadata.index, metadata.term)?;
        }
        Ok(())
    }
}

/// Bytes of one encoded command: id, key and value, little-endian.
const COMMAND_BYTES: usize = 8 + 4 + 8;

/// A client command as an entry's `data`.
pub fn encode_command(command: &Command) -> Vec<u8> {
    let mut data = Vec::with_capacity(COMMAND_BYTES);
    data.extend_from_slice(&command.id.to_le_bytes());
    data.extend_from_slice(&command.key.to_le_bytes());
    data.extend_from_slice(&command.value.to_le_bytes());
    data
}

/// The command an entry carries; `None` for raft-rs's empty entries (a new leader's first
/// entry). Any other payload is not one this adapter wrote: a bug, so it panics.
pub fn decode_command(data: &[u8]) -> Option<Command> {
    if data.is_empty() {
        return None;
    }
    assert_eq!(data.len(), COMMAND_BYTES, "an entry's data is a command");
    let word =
        |range: std::ops::Range<usize>| -> [u8; 8] { data[range].try_into().expect("eight bytes") };
    Some(Command {
        id: u64::from_le_bytes(word(0..8)),
        key: u32::from_le_bytes(data[8..12].try_into().expect("four bytes")),
        value: u64::from_le_bytes(word(12..20)),
    })
}

/// What the checkers compare entries by besides index and term: a digest of the entry's type
/// and payload. A new leader's empty entry digests too (its payload is empty), so log
/// matching covers it like any other.
pub fn entry_digest(entry: &Entry) -> u64 {
    stable_hash(&(entry.get_entry_type() as i32, &entry.data[..]))
}

#[cfg(test)]
mod tests {
    use quorumsim::hash::stable_hash;
    use raft::eraftpb::MessageType;

    use super::*;

    fn entry(index: u64, term: u64, data: Vec<u8>) -> Entry {
        Entry {
            index,
            term,
            data: data.into(),
            ..Entry::default()
        }
    }

    #[test]
    fn commands_round_trip_through_entry_data() {
        let command = Command {
            id: 7,
            key: 3,
            value: u64::MAX - 1,
        };
        let data = encode_command(&command);
        assert_eq!(data.len(), COMMAND_BYTES);
        assert_eq!(decode_command(&data), Some(command));
        assert_eq!(decode_command(&[]), None);
    }

    #[test]
    fn ids_map_both_ways_and_zero_is_nobody() {
        assert_eq!(raft_id(NodeId(0)), 1);
        assert_eq!(node_of(5), Some(NodeId(4)));
        assert_eq!(node_of(0), None);
    }

    #[test]
    fn digests_tell_payloads_apart_and_empty_entries_have_one() {
        let put = encode_command(&Command {
            id: 1,
            key: 0,
            value: 1,
        });
        let empty = entry_digest(&entry(1, 1, vec![]));
        assert_eq!(empty, entry_digest(&entry(9, 4, vec![])), "payload only");
        assert_ne!(empty, entry_digest(&entry(1, 1, put.clone())));
        let other = encode_command(&Command {
            id: 2,
            key: 0,
            value: 1,
        });
        assert_ne!(
            entry_digest(&entry(1, 1, put)),
            entry_digest(&entry(1, 1, other))
        );
    }

    #[test]
    fn the_hash_covers_entries_and_the_text_is_short() {
        let mut message = Message {
            msg_type: MessageType::MsgAppend,
            term: 3,
            index: 5,
            log_term: 2,
            commit: 4,
            entries: vec![entry(6, 3, vec![]), entry(7, 3, vec![1; 20])].into(),
            ..Message::default()
        };
        let text = format!("{:?}", RaftRsMsg(message.clone()));
        assert_eq!(
            text,
            "MsgAppend term=3 log_term=2 index=5 commit=4 entries=[6/3 7/3]"
        );
        let before = stable_hash(&RaftRsMsg(message.clone()));
        message.entries[1].data = vec![2; 20].into();
        assert_ne!(before, stable_hash(&RaftRsMsg(message.clone())));
        message.entries[1].data = vec![1; 20].into();
        assert_eq!(before, stable_hash(&RaftRsMsg(message)));
    }
}
