//! The SIP run loop: one task owns the sans-IO [`pbx::Pbx`], feeds it datagrams from the UDP socket
//! and frames from TCP connections, fires its timers, and sends what it produces.
//!
//! One task is deliberate: the call brain is a single state machine with no locks, and a burst of
//! datagrams is drained with non-blocking reads before the loop yields, so the per-message cost is a
//! parse plus a hash lookup or two.
use crate::resolver::{spawn_resolve, DnsResolver};
use crate::tcp::{TcpEvent, TcpRegistry};
use pbx::trunk::ProviderRole;
use pbx::{Cdr, Pbx};
use sip::transaction::{Peer, Transmit, TransportKind};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

/// Largest datagram accepted; SIP over UDP should stay well under it (RFC 3261 §18.1.1).
const MAX_DATAGRAM: usize = 65_535;
/// Datagrams handled per wake-up before the loop checks timers and other inputs again.
const BURST: usize = 64;

pub struct Engine {
    pub pbx: Pbx,
    pub udp: Arc<UdpSocket>,
    pub tcp_events: mpsc::Receiver<TcpEvent>,
    pub tcp: TcpRegistry,
    pub cdr_out: std::sync::mpsc::Sender<Cdr>,
    pub shutdown: watch::Receiver<bool>,
    pub control: mpsc::Receiver<Control>,
    /// DNS for trunk providers (RFC 3263); answers come back on `resolved`.
    pub resolver: Arc<DnsResolver>,
    pub resolved_tx: mpsc::UnboundedSender<(ResolveKey, Vec<Peer>)>,
    pub resolved: mpsc::UnboundedReceiver<(ResolveKey, Vec<Peer>)>,
    /// Where `status.json` is written.
    pub data_dir: std::path::PathBuf,
    /// DTMF and ends of playbacks/recordings from the media relay.
    pub media_events: mpsc::Receiver<pbx::MediaEvent>,
    /// What call applications decided, for the app-effects thread.
    pub effects_out: std::sync::mpsc::Sender<pbx::call::AppEffect>,
}

/// How often `status.json` is refreshed.
const STATUS_EVERY_SECS: u64 = 2;

/// Which provider a lookup was for.
pub type ResolveKey = (u32, ProviderRole);

/// How long shutdown waits for the providers to confirm unregistration.
const UNREGISTER_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Requests from other parts of the daemon.
pub enum Control {
    ReplaceDirectory(std::sync::Arc<pbx::Directory>),
    /// A voicemail box's messages as the store now holds them.
    Mailbox {
        tenant_id: u32,
        box_id: String,
        messages: Vec<pbx::media_config::StoredMessage>,
    },
}

impl Engine {
    pub async fn run(mut self) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let sleep = tokio::time::sleep_until(tokio::time::Instant::now());
        tokio::pin!(sleep);
        let mut stopping_until: Option<Instant> = None;
        let mut status_tick =
            tokio::time::interval(std::time::Duration::from_secs(STATUS_EVERY_SECS));
        self.flush();
        loop {
            let mut deadline = self
                .pbx
                .poll_timeout()
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + std::time::Duration::from_secs(1));
            if let Some(until) = stopping_until {
                deadline = deadline.min(tokio::time::Instant::from_std(until));
            }
            sleep.as_mut().reset(deadline);
            tokio::select! {
                res = self.udp.recv_from(&mut buf) => {
                    match res {
                        Ok((n, from)) => {
                            let now = Instant::now();
                            self.on_datagram(&buf[..n], from, now);
                            self.drain_udp(&mut buf, now);
                        }
                        Err(e) => tracing::debug!(error = %e, "UDP receive error"),
                    }
                }
                () = &mut sleep => {
                    self.pbx.handle_timeout(Instant::now());
                }
                Some(event) = self.tcp_events.recv() => {
                    self.on_tcp(event);
                }
                Some(control) = self.control.recv() => {
                    match control {
                        Control::ReplaceDirectory(dir) => self.pbx.set_directory(dir, Instant::now()),
                        Control::Mailbox { tenant_id, box_id, messages } => {
                            self.pbx.set_mailbox(tenant_id, &box_id, messages, Instant::now());
                        }
                    }
                }
                Some(event) = self.media_events.recv() => {
                    self.pbx.handle_media_event(event, Instant::now());
                }
                _ = status_tick.tick() => {
                    let status = crate::status::snapshot(&self.pbx, Instant::now());
                    if let Err(e) = crate::status::write(&self.data_dir, &status) {
                        tracing::warn!(error = %e, "cannot write status.json");
                    }
                }
                Some(((tenant, role), peers)) = self.resolved.recv() => {
                    self.pbx.handle_resolved(tenant, role, peers, Instant::now());
                }
                _ = self.shutdown.changed(), if stopping_until.is_none() => {
                    tracing::info!("SIP engine stopping: unregistering from trunk providers");
                    self.pbx.shutdown_trunks(Instant::now());
                    stopping_until = Some(Instant::now() + UNREGISTER_GRACE);
                }
            }
            self.flush();
            if let Some(until) = stopping_until {
                if self.pbx.trunks_stopped() || Instant::now() >= until {
                    break;
                }
            }
        }
        self.flush();
    }

    fn on_datagram(&mut self, bytes: &[u8], from: SocketAddr, now: Instant) {
        let peer = Peer {
            transport: TransportKind::Udp,
            addr: from,
        };
        self.pbx.handle_datagram(bytes, peer, now);
    }

    /// Reads whatever else is already queued on the socket without yielding.
    fn drain_udp(&mut self, buf: &mut [u8], now: Instant) {
        for _ in 0..BURST {
            match self.udp.try_recv_from(buf) {
                Ok((n, from)) => self.on_datagram(&buf[..n], from, now),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => break,
            }
            self.flush();
        }
    }

    fn on_tcp(&mut self, event: TcpEvent) {
        let now = Instant::now();
        match event {
            TcpEvent::Message { from, message } => {
                let peer = Peer {
                    transport: TransportKind::Tcp,
                    addr: from,
                };
                self.pbx.handle_message(message, peer, now);
            }
            TcpEvent::Malformed { from, reply } => {
                if let Some(reply) = reply {
                    self.tcp.send(from, reply.to_bytes());
                }
            }
        }
    }

    fn flush(&mut self) {
        while let Some(Transmit { peer, bytes }) = self.pbx.poll_transmit() {
            match peer.transport {
                TransportKind::Udp => self.send_udp(&bytes, peer.addr),
                TransportKind::Tcp | TransportKind::Tls => self.tcp.send(peer.addr, bytes),
            }
        }
        while let Some(req) = self.pbx.poll_resolve() {
            spawn_resolve(
                self.resolver.clone(),
                (req.tenant_id, req.role),
                req.target,
                // Outbound TCP connections do not exist yet: only UDP targets are usable.
                vec![TransportKind::Udp],
                self.resolved_tx.clone(),
            );
        }
        while let Some(effect) = self.pbx.poll_effect() {
            if self.effects_out.send(effect).is_err() {
                tracing::error!("app-effects thread is gone; a voicemail or prompt was not stored");
            }
        }
        while let Some(cdr) = self.pbx.poll_cdr() {
            if self.cdr_out.send(cdr).is_err() {
                tracing::error!("CDR writer is gone; a CDR could not be stored");
            }
        }
    }

    fn send_udp(&self, bytes: &[u8], to: SocketAddr) {
        // The socket buffer is large; a full buffer under overload drops the datagram, and SIP's own
        // retransmissions recover it, which beats stalling the whole loop.
        if let Err(e) = self.udp.try_send_to(bytes, to) {
            tracing::debug!(error = %e, %to, "UDP send failed");
        }
    }
}
