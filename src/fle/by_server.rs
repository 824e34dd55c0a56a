//! A value per server, held in a slot per server id and visited in id order.
//!
//! It serves the leader's table of followers and an election's votes: every ack looks its
//! follower up and the commit rule reads every follower, every notification records a vote,
//! and every new round clears them all, so a slot per server id serves them better than a
//! map. Iteration is in id order, as a map keyed by server would give.

use crate::protocol::NodeId;

#[derive(Clone, Debug)]
pub struct ByServer<T> {
    slots: Vec<Option<T>>,
}

impl<T> Default for ByServer<T> {
    fn default() -> Self {
        ByServer { slots: Vec::new() }
    }
}

impl<T> ByServer<T> {
    pub fn insert(&mut self, server: NodeId, value: T) {
        if self.slots.len() <= server.index() {
            self.slots.resize_with(server.index() + 1, || None);
        }
        self.slots[server.index()] = Some(value);
    }

    pub fn get(&self, server: NodeId) -> Option<&T> {
        self.slots.get(server.index())?.as_ref()
    }

    pub fn get_mut(&mut self, server: NodeId) -> Option<&mut T> {
        self.slots.get_mut(server.index())?.as_mut()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
    }

    /// Every server's value, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| Some((server_at(index), slot.as_ref()?)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (NodeId, &mut T)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(index, slot)| Some((server_at(index), slot.as_mut()?)))
    }

    pub fn values(&self) -> impl Iterator<Item = &T> + Clone {
        self.slots.iter().flatten()
    }
}

/// The server whose slot is at `index`.
fn server_at(index: usize) -> NodeId {
    NodeId(u16::try_from(index).expect("node ids are u16"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_one_value_per_server_and_visits_them_in_id_order() {
        let mut table = ByServer::default();
        table.insert(NodeId(3), 'c');
        table.insert(NodeId(0), 'a');
        table.insert(NodeId(3), 'd');
        assert_eq!(table.get(NodeId(3)), Some(&'d'));
        assert_eq!(table.get(NodeId(1)), None);
        assert_eq!(table.get(NodeId(9)), None);
        *table.get_mut(NodeId(0)).unwrap() = 'b';
        let all: Vec<(NodeId, char)> = table.iter().map(|(id, &value)| (id, value)).collect();
        assert_eq!(all, [(NodeId(0), 'b'), (NodeId(3), 'd')]);
        table.clear();
        assert_eq!(table.values().count(), 0);
    }
}
