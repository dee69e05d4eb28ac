//! The relay as the call logic sees it: `pbx::MediaControl` over a table of bridges
//! keyed by a call-media id, plus the media server's controls (formats, playback,
//! recording) and the events they produce.
//!
//! # API (what the daemon calls, besides `MediaControl`)
//!
//! ```ignore
//! let mut table = RelayTable::new(pool).with_own_ips(ips);
//! let mut events = table.events().expect("taken once"); // tokio mpsc::Receiver<pbx::MediaEvent>
//! // in the daemon's select loop:
//! //   Some(event) = events.recv() => pbx.handle_media_event(event, now)
//! table.dropped_events();   // events lost because the receiver fell behind
//! ```

use super::events::EventSink;
use super::media_shared::{Hooks, DEFAULT_FORMAT};
use super::player::{self, PlayerCtx};
use super::recorder::{CallRecorder, SideRecording};
use super::sources::SourceCache;
use super::writer::{DiskWriter, Done};
use super::{Bridge, BridgeStats, Leg, PortPool};
use pbx::{
    CallRecording, MediaControl, MediaEvent, MediaPorts, Playback, RecordEnd, RecordSpec, Side,
    SideFormat,
};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// One call's bridge and what the media server runs on it.
#[derive(Debug)]
struct CallMedia {
    bridge: Bridge,
    formats: [SideFormat; 2],
    players: [Option<JoinHandle<()>>; 2],
    recording: Option<CallRecorder>,
}

impl CallMedia {
    fn stop_player(&mut self, leg: usize) {
        if let Some(p) = self.players.get_mut(leg).and_then(Option::take) {
            p.abort();
        }
    }

    /// Recomputes, per leg, whether its packets need the slow path.
    fn refresh(&self) {
        let media = &self.bridge.shared.media;
        for leg in 0..2 {
            let slow = media.ingress(leg).needs_slow(&self.formats[1 - leg]);
            media.set_slow(leg, slow);
        }
    }

    fn stop_recording(&self, leg: usize) {
        if let Some(r) = self.bridge.shared.media.ingress(leg).record.take() {
            r.finish(RecordEnd::Stopped);
        }
    }
}

impl Drop for CallMedia {
    fn drop(&mut self) {
        // A JoinHandle dropped does not stop its task: a player must not outlive its call.
        for p in self.players.iter_mut().filter_map(Option::take) {
            p.abort();
        }
    }
}

/// All live bridges of the daemon. Must be used from inside the tokio runtime
/// (opening a bridge spawns its tasks).
#[derive(Debug)]
pub struct RelayTable {
    pool: PortPool,
    calls: HashMap<u64, CallMedia>,
    next_id: u64,
    /// Addresses that are the box itself, and the relay ports in use: an SDP pointing media at
    /// one of our own relay sockets would make packets loop between bridges (an authenticated
    /// phone could use that to burn the CPU), so such a remote is refused.
    own_ips: Vec<IpAddr>,
    own_ports: HashSet<u16>,
    own_ips_any: bool,
    events: EventSink,
    receiver: Option<mpsc::Receiver<MediaEvent>>,
    /// `None` only if the writer thread could not be started (recordings then end at once).
    writer: Option<Arc<DiskWriter>>,
    cache: Arc<SourceCache>,
}

impl RelayTable {
    pub fn new(pool: PortPool) -> Self {
        let (events, receiver) = EventSink::channel();
        let writer = match DiskWriter::start(events.clone()) {
            Ok(w) => Some(Arc::new(w)),
            Err(error) => {
                tracing::error!(%error, "cannot start the recording writer thread: no recordings");
                None
            }
        };
        RelayTable {
            pool,
            calls: HashMap::new(),
            next_id: 1,
            own_ips: Vec::new(),
            own_ips_any: false,
            own_ports: HashSet::new(),
            events,
            receiver: Some(receiver),
            writer,
            cache: Arc::new(SourceCache::default()),
        }
    }

    /// The box's own addresses (advertised and bound); with an unspecified bind address every
    /// local address counts, so any IP is checked against the relay ports.
    pub fn with_own_ips(mut self, ips: Vec<IpAddr>) -> Self {
        self.own_ips_any = ips.iter().any(IpAddr::is_unspecified);
        self.own_ips = ips;
        self
    }

    /// The media events (DTMF, end of playback, end of recording) for
    /// `Pbx::handle_media_event`. Taken once: `None` afterwards.
    pub fn events(&mut self) -> Option<mpsc::Receiver<MediaEvent>> {
        self.receiver.take()
    }

    /// Events dropped because the receiver did not keep up.
    pub fn dropped_events(&self) -> u64 {
        self.events.dropped()
    }

    fn is_own_socket(&self, addr: SocketAddr) -> bool {
        let ip = addr.ip();
        let own_ip = self.own_ips_any || ip.is_loopback() || self.own_ips.contains(&ip);
        own_ip && self.own_ports.contains(&addr.port())
    }

    pub fn pool(&self) -> &PortPool {
        &self.pool
    }

    /// Live bridges.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn bridge(&self, id: u64) -> Option<&Bridge> {
        self.calls.get(&id).map(|c| &c.bridge)
    }

    pub fn stats(&self, id: u64) -> Option<BridgeStats> {
        self.bridge(id).map(Bridge::stats)
    }

    /// Closes a bridge and returns its final counters (for the CDR or a test).
    pub fn close_with_stats(&mut self, id: u64) -> Option<BridgeStats> {
        let stats = self.stats(id);
        self.close(id);
        stats
    }

    /// Key presses a leg sent beyond the rate cap (dropped), for tests and diagnostics.
    pub fn dtmf_dropped(&self, id: u64, side: Side) -> u64 {
        self.calls.get(&id).map_or(0, |c| {
            c.bridge.shared.media.ingress(index(side)).gate.dropped()
        })
    }

    fn record_done_now(&self, id: u64, side: Side, token: u64) {
        self.events.send(MediaEvent::RecordDone {
            id,
            side,
            token,
            end: RecordEnd::Stopped,
            duration: std::time::Duration::ZERO,
        });
    }
}

/// Keeps a leg recording's clock running when the leg sends nothing (see
/// `SideRecording::catch_up`); ends with the recording.
async fn watchdog(shared: Arc<super::shared::BridgeShared>, leg: usize, key: u64) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let mut ingress = shared.media.ingress(leg);
        let end = match ingress.record.as_mut() {
            Some(r) if r.key() == key => r.catch_up(Instant::now()),
            // Finished (limit, stop, connect, close) or replaced.
            _ => return,
        };
        if let Some(end) = end {
            if let Some(r) = ingress.record.take() {
                r.finish(end);
            }
            return;
        }
    }
}

fn leg(side: Side) -> Leg {
    match side {
        Side::A => Leg::A,
        Side::B => Leg::B,
    }
}

fn index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

impl MediaControl for RelayTable {
    fn open(&mut self) -> Option<MediaPorts> {
        match self.pool.open_bridge(None, None) {
            Ok(bridge) => {
                let id = self.next_id;
                for l in 0..2 {
                    bridge.shared.media.ingress(l).hooks = Some(Hooks {
                        id,
                        events: self.events.clone(),
                    });
                }
                self.next_id = self.next_id.wrapping_add(1);
                let ports = MediaPorts {
                    id,
                    port_a: bridge.local_port_a(),
                    port_b: bridge.local_port_b(),
                };
                for p in [ports.port_a, ports.port_b] {
                    self.own_ports.insert(p);
                    self.own_ports.insert(p.wrapping_add(1));
                }
                self.calls.insert(
                    id,
                    CallMedia {
                        bridge,
                        formats: [DEFAULT_FORMAT; 2],
                        players: [None, None],
                        recording: None,
                    },
                );
                Some(ports)
            }
            Err(error) => {
                tracing::warn!(%error, live = self.calls.len(), "no media relay for a call");
                None
            }
        }
    }

    fn set_remote(&mut self, id: u64, side: Side, addr: SocketAddr) {
        if self.is_own_socket(addr) {
            tracing::warn!(id, %addr, "SDP points media at the box's own relay: refused (loop)");
            return;
        }
        if let Some(call) = self.calls.get(&id) {
            call.bridge.set_remote(leg(side), addr);
        }
    }

    fn close(&mut self, id: u64) {
        if let Some(mut call) = self.calls.remove(&id) {
            for l in 0..2 {
                call.stop_player(l);
                call.stop_recording(l);
            }
            if let Some(r) = call.recording.take() {
                r.finish();
            }
            let bridge = &call.bridge;
            for p in [bridge.local_port_a(), bridge.local_port_b()] {
                self.own_ports.remove(&p);
                self.own_ports.remove(&p.wrapping_add(1));
            }
            let s = bridge.stats();
            // One-way audio is the classic NAT/firewall symptom: say which leg was
            // silent, so an installer can tell from the log which phone to look at.
            let one_way = (s.a.packets_in == 0) != (s.b.packets_in == 0);
            if one_way {
                tracing::info!(
                    id,
                    silent_leg = if s.a.packets_in == 0 { "A" } else { "B" },
                    a_in = s.a.packets_in,
                    b_in = s.b.packets_in,
                    a_remote = ?s.a.remote,
                    b_remote = ?s.b.remote,
                    "one-way audio: a leg never sent RTP to the box"
                );
            } else {
                tracing::debug!(
                    id,
                    a_in = s.a.packets_in,
                    a_out = s.a.packets_out,
                    b_in = s.b.packets_in,
                    b_out = s.b.packets_out,
                    dropped = s.a.dropped + s.b.dropped,
                    "media relay closed"
                );
            }
        }
    }

    fn set_format(&mut self, id: u64, side: Side, format: SideFormat) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let l = index(side);
        call.formats[l] = format;
        let media = &call.bridge.shared.media;
        media.ingress(l).set_format(format);
        media.out(l).format = format;
        call.refresh();
    }

    fn connect(&mut self, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        for l in 0..2 {
            call.stop_player(l);
            call.stop_recording(l);
            let mut ingress = call.bridge.shared.media.ingress(l);
            ingress.forward = true;
            ingress.detect = false;
            ingress.restart();
        }
        call.refresh();
    }

    fn play(&mut self, id: u64, side: Side, what: Playback, token: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            // Like a missing file: the call logic must not wait for a playback that never runs.
            self.events.send(MediaEvent::PlayDone { id, side, token });
            return;
        };
        let l = index(side);
        call.stop_player(l);
        {
            let media = &call.bridge.shared.media;
            // The leg hears the box now, not the other leg.
            media.ingress(1 - l).forward = false;
            let mut own = media.ingress(l);
            if !own.detect {
                own.detect = true;
                own.restart();
            }
        }
        call.refresh();
        let ctx = PlayerCtx {
            leg: l,
            io: Arc::clone(&call.bridge.io),
            shared: Arc::clone(&call.bridge.shared),
            hooks: Hooks {
                id,
                events: self.events.clone(),
            },
            cache: Arc::clone(&self.cache),
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => call.players[l] = Some(rt.spawn(player::run(ctx, what, token))),
            Err(_) => {
                tracing::warn!(id, "play outside the runtime: skipped");
                self.events.send(MediaEvent::PlayDone { id, side, token });
            }
        }
    }

    fn stop_play(&mut self, id: u64, side: Side) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.stop_player(index(side));
        }
    }

    fn record(&mut self, id: u64, side: Side, spec: RecordSpec, token: u64) {
        let (Some(call), Some(writer)) = (self.calls.get(&id), self.writer.as_ref()) else {
            tracing::warn!(id, "cannot record (no such call or no writer)");
            self.record_done_now(id, side, token);
            return;
        };
        let l = index(side);
        {
            let mut ingress = call.bridge.shared.media.ingress(l);
            if let Some(old) = ingress.record.take() {
                old.finish(RecordEnd::Stopped);
            }
            let recording = SideRecording::start(
                Arc::clone(writer),
                &spec,
                Done { id, side, token },
                Instant::now(),
            );
            let key = recording.key();
            ingress.record = Some(recording);
            ingress.detect = true;
            ingress.restart();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(watchdog(Arc::clone(&call.bridge.shared), l, key));
            }
        }
        call.refresh();
    }

    fn stop_record(&mut self, id: u64, side: Side) {
        if let Some(call) = self.calls.get(&id) {
            call.stop_recording(index(side));
            call.refresh();
        }
    }

    fn record_call(&mut self, id: u64, recording: CallRecording) {
        let (Some(call), Some(writer)) = (self.calls.get_mut(&id), self.writer.as_ref()) else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err() {
            tracing::warn!(id, "record_call outside the runtime: skipped");
            return;
        }
        if let Some(old) = call.recording.take() {
            old.finish();
        }
        let recorder = CallRecorder::start(Arc::clone(writer), recording.path);
        for l in 0..2 {
            let mut ingress = call.bridge.shared.media.ingress(l);
            ingress.tap = Some(Arc::clone(&recorder.tap));
            ingress.restart();
        }
        call.recording = Some(recorder);
        call.refresh();
    }
}

#[cfg(test)]
mod loop_guard_tests {
    use super::*;

    #[tokio::test]
    async fn a_remote_on_our_own_relay_port_is_refused() {
        let pool = PortPool::new(61800, 61899, "127.0.0.1".parse().unwrap()).unwrap();
        let mut table = RelayTable::new(pool).with_own_ips(vec!["127.0.0.1".parse().unwrap()]);
        let first = table.open().unwrap();
        let second = table.open().unwrap();
        let own: SocketAddr = format!("127.0.0.1:{}", second.port_a).parse().unwrap();
        table.set_remote(first.id, Side::A, own);
        assert_eq!(
            table.stats(first.id).unwrap().a.remote,
            None,
            "loop refused"
        );
        let phone: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        table.set_remote(first.id, Side::A, phone);
        assert_eq!(table.stats(first.id).unwrap().a.remote, Some(phone));
        table.close(second.id);
        table.set_remote(first.id, Side::B, own);
        assert_eq!(
            table.stats(first.id).unwrap().b.remote,
            Some(own),
            "freed ports are not ours"
        );
    }
}
