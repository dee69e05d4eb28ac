//! The media anchor seen from the call brain: a pair of relay ports per call, one facing each leg.
//! The daemon implements it over its RTP relay; tests use a fake.
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The caller's leg (the box is its UAS).
    A,
    /// The callee's leg (the box is its UAC).
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Relay ports of one call: `port_a` is what leg A sends to, `port_b` what leg B sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPorts {
    pub id: u64,
    pub port_a: u16,
    pub port_b: u16,
}

impl MediaPorts {
    pub fn port(&self, side: Side) -> u16 {
        match side {
            Side::A => self.port_a,
            Side::B => self.port_b,
        }
    }
}

pub trait MediaControl {
    /// `None` when no ports are free (the call is refused with 503).
    fn open(&mut self) -> Option<MediaPorts>;
    /// Where `side` said (in its SDP) it wants media; the relay still latches to the real source.
    fn set_remote(&mut self, id: u64, side: Side, addr: SocketAddr);
    fn close(&mut self, id: u64);
}
