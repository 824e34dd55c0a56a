//! The simulated network: who can reach whom ([`Topology`]) and what happens to each message
//! on a link that is up ([`LinkModel`], drawn by [`Network::route`]).

mod link;
mod topology;

pub use link::{LinkModel, Network, Route};
pub use topology::Topology;
