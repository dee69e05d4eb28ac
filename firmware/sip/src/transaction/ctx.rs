//! The outputs every state machine writes to: timer queue, outgoing bytes and TU events. Kept apart
//! from the transaction maps so a machine borrowed from a map can still write its outputs.
use std::collections::VecDeque;
use std::time::Instant;

use super::timers::{Slot, Target, TimerQueue, TxTimers};
use super::{Peer, TimerConfig, Transmit, TxEvent};

#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) config: TimerConfig,
    /// Timer J over UDP: 64·T1 unless the owner shortened it (see
    /// `TransactionLayer::with_timer_j`).
    pub(crate) timer_j: std::time::Duration,
    pub(crate) timers: TimerQueue,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<TxEvent>,
}

impl Ctx {
    pub(crate) fn new(config: TimerConfig) -> Ctx {
        Ctx {
            timer_j: config.transaction_timeout(),
            config,
            timers: TimerQueue::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub(crate) fn send(&mut self, peer: Peer, bytes: Vec<u8>) {
        self.transmits.push_back(Transmit { peer, bytes });
    }

    pub(crate) fn emit(&mut self, event: TxEvent) {
        self.events.push_back(event);
    }

    pub(crate) fn arm(&mut self, timers: &mut TxTimers, slot: Slot, at: Instant, target: Target) {
        self.timers.arm(timers, slot, at, target);
    }

    pub(crate) fn cancel(&mut self, timers: &mut TxTimers, slot: Slot) {
        self.timers.cancel(timers, slot);
    }
}

/// What a state machine wants after handling an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Keep,
    /// The machine reached Terminated: the layer removes it and cancels its timers.
    Terminate,
}
