//! The slow path of a leg's receive loop: everything the media server does with the
//! packets a leg sends, beyond relaying them untouched.
//!
//! * bridged, same codec: relayed, with the payload type (audio and telephone-event)
//!   renumbered when the two legs numbered it differently;
//! * bridged, different codecs: decoded, resampled and re-encoded for the other leg on the
//!   box's own stream towards it; RFC 4733 events re-stamped on that stream;
//! * the other leg detached (the box plays to it): nothing is relayed;
//! * recorded (a leg recording or the call recording): decoded to 8 kHz and queued for the
//!   disk writer, lost packets concealed so durations stay true;
//! * DTMF detection (while the box plays to or records the leg): RFC 4733 events, and
//!   in-band tones when the leg negotiated no telephone-event — a phone that offers
//!   RFC 4733 sends its keys that way, and listening for tones too would report a key
//!   twice from phones that send both (and cost a Goertzel bank per frame for nothing).

use super::events::DtmfGate;
use super::gaps::{Gap, StreamClock};
use super::media_shared::{Hooks, MediaShared};
use super::mlib::codec::{self, Decoder};
use super::mlib::dsp::dtmf_detect::DtmfDetector;
use super::mlib::resample::Resampler;
use super::recorder::{CallTap, SideRecording, RECORD_FRAME, RECORD_RATE};
use super::transcode::Transcoder;
use media::dtmf::TelephoneEvent;
use media::rtp::RtpPacket;
use pbx::{MediaEvent, Side, SideFormat};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::UdpSocket;

/// Concealed frames a transcoded leg gets after a loss (60 ms); beyond, the other leg's
/// stream skips the time and the phone's own concealment takes over.
const MAX_CONCEALED_TO_PEER: usize = 3;

/// What one leg's received packets go through when not plainly relayed.
pub struct Ingress {
    /// The leg's own format (how to read what it sends).
    pub format: SideFormat,
    /// Relay to the other leg (false while the box plays to the other leg).
    pub forward: bool,
    /// Report the leg's key presses.
    pub detect: bool,
    pub record: Option<SideRecording>,
    pub tap: Option<Arc<CallTap>>,
    pub hooks: Option<Hooks>,
    pub gate: DtmfGate,
    decoder: Option<Box<dyn Decoder>>,
    to_8k: Option<Resampler>,
    transcoder: Option<Transcoder>,
    inband: Option<DtmfDetector>,
    /// Where the leg's stream is (sequence, timestamp) for loss and pause accounting.
    clock: StreamClock,
    /// Silence the leg recording still needs, or audio it must skip (already filled by its
    /// watchdog), in 8 kHz samples.
    record_pad: u64,
    record_skip: u64,
    /// (timestamp on the leg, timestamp on the other leg's stream) of the telephone event
    /// being translated.
    event_anchor: Option<(u32, u32)>,
    warned: bool,
    pcm: Vec<i16>,
    pcm_8k: Vec<i16>,
    packet: Vec<u8>,
    digits: Vec<char>,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingress")
            .field("format", &self.format)
            .field("forward", &self.forward)
            .field("detect", &self.detect)
            .field("recording", &self.record.is_some())
            .field("call_recording", &self.tap.is_some())
            .field("transcoder", &self.transcoder)
            .finish()
    }
}

/// What one call of the slow path needs from its pump.
pub struct Ctx<'a> {
    pub from: usize,
    pub shared: &'a MediaShared,
    /// The socket facing the other leg, and where that leg is.
    pub socket: &'a UdpSocket,
    pub target: Option<SocketAddr>,
    pub now: Instant,
}

/// Packets the slow path sent to the other leg, for the pump's counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sent {
    pub packets: u64,
    pub bytes: u64,
    pub failed: u64,
}

fn side_of(index: usize) -> Side {
    if index == 0 {
        Side::A
    } else {
        Side::B
    }
}

fn send(ctx: &Ctx<'_>, bytes: &[u8], sent: &mut Sent) {
    let Some(target) = ctx.target else {
        sent.failed += 1;
        return;
    };
    // try_send_to never waits: a full socket buffer drops this packet like the network would.
    match ctx.socket.try_send_to(bytes, target) {
        Ok(n) => {
            sent.packets += 1;
            sent.bytes += n as u64;
        }
        Err(_) => sent.failed += 1,
    }
}

impl Ingress {
    pub fn new(format: SideFormat) -> Self {
        Ingress {
            format,
            forward: true,
            detect: false,
            record: None,
            tap: None,
            hooks: None,
            gate: DtmfGate::default(),
            decoder: None,
            to_8k: None,
            transcoder: None,
            inband: None,
            clock: StreamClock::default(),
            record_pad: 0,
            record_skip: 0,
            event_anchor: None,
            warned: false,
            // Allocated on first use: most calls never leave the fast path, and 800 relayed
            // calls should not carry buffers they never touch.
            pcm: Vec::new(),
            pcm_8k: Vec::new(),
            packet: Vec::new(),
            digits: Vec::new(),
        }
    }

    /// A new format for this leg: codec state starts over.
    pub fn set_format(&mut self, format: SideFormat) {
        if format != self.format {
            self.format = format;
            self.decoder = None;
            self.to_8k = None;
            self.transcoder = None;
            self.inband = None;
            self.clock.reset();
        }
    }

    /// Something new starts consuming decoded audio, or relaying resumes: the next packet
    /// starts a fresh stream (no concealment of the time nobody listened, a marker bit on
    /// the other leg's stream).
    pub fn restart(&mut self) {
        self.clock.reset();
        self.record_pad = 0;
        self.record_skip = 0;
        self.transcoder = None;
        self.event_anchor = None;
    }

    /// Whether packets from this leg need the slow path, given the other leg's format.
    pub fn needs_slow(&self, other: &SideFormat) -> bool {
        !self.forward
            || self.detect
            || self.record.is_some()
            || self.tap.is_some()
            || self.format != *other
    }

    fn event(&self, event: MediaEvent) {
        if let Some(h) = &self.hooks {
            h.events.send(event);
        }
    }

    /// Handles one datagram received from the leg (already accepted by the latch).
    pub fn process(&mut self, datagram: &[u8], ctx: &Ctx<'_>) -> Sent {
        let mut sent = Sent::default();
        let Ok(p) = RtpPacket::parse(datagram) else {
            // RTCP multiplexed on the RTP port (RFC 5761): relayed while bridged.
            if self.forward && media::rtp::is_rtcp(datagram) {
                send(ctx, datagram, &mut sent);
            }
            return sent;
        };
        let other = 1 - ctx.from;
        if self.format.telephone_event == Some(p.payload_type) {
            self.telephone_event(&p, datagram, ctx, &mut sent);
            return sent;
        }
        let out_format = ctx.shared.out(other).format;
        if p.payload_type != self.format.payload_type {
            // Comfort noise (RFC 3389) or a payload the leg never negotiated: only plain
            // relaying between identical formats can carry it meaningfully.
            if self.forward && out_format == self.format {
                send(ctx, datagram, &mut sent);
            }
            return sent;
        }
        // No address for the other leg yet (an IVR call has no B leg): nothing to encode for.
        let transcode =
            self.forward && ctx.target.is_some() && out_format.codec != self.format.codec;
        if self.forward && out_format.codec == self.format.codec {
            self.relay_renumbered(datagram, out_format.payload_type, ctx, &mut sent);
        }
        let want_8k = self.record.is_some()
            || self.tap.is_some()
            || (self.detect && self.format.telephone_event.is_none());
        if !transcode && !want_8k {
            return sent;
        }
        let gap = self.clock.on_packet(
            p.ssrc,
            p.sequence,
            p.timestamp,
            self.format.codec.frame_ticks(),
        );
        let Gap::Frames {
            lost,
            paused,
            total,
        } = gap
        else {
            return sent;
        };
        // The recording's watchdog may already have filled (part of) this gap with silence,
        // or more than it when these packets were only delayed: the recording then gets the
        // difference, padded or skipped, and nothing is concealed twice.
        let filled = self.record.as_mut().map_or(0, |r| r.heard(ctx.now));
        let lost = if filled > 0 {
            let gap = total * RECORD_FRAME as u64;
            self.record_pad = gap.saturating_sub(filled);
            self.record_skip = filled.saturating_sub(gap);
            0
        } else {
            // A pause the phone chose (no sequence gap): nothing to conceal for the other
            // leg, but a recording must last as long as the call did.
            self.record_pad = u64::from(paused) * RECORD_FRAME as u64;
            lost
        };
        let Some(decoded) = self.decode(p.payload, lost) else {
            return sent;
        };
        let ticks = u64::try_from(decoded).unwrap_or(0)
            * u64::from(self.format.codec.rtp_clock_rate())
            / u64::from(self.format.codec.sample_rate().max(1));
        self.clock
            .decoded(p.timestamp, u32::try_from(ticks).unwrap_or(0));
        if want_8k && self.record_pad > 0 {
            let pad = std::mem::take(&mut self.record_pad).min(u64::from(RECORD_RATE) * 60);
            self.record_audio(&vec![0i16; usize::try_from(pad).unwrap_or(0)]);
        }
        let pcm = std::mem::take(&mut self.pcm);
        if transcode {
            // A few concealed frames smooth a short loss for the other leg; a longer loss or
            // a pause is not sent as a burst of made-up audio: its time is skipped on the
            // other leg's stream instead, so its timestamps stay true.
            let frame = self.format.codec.frame_samples().max(1);
            let concealed = pcm.len().saturating_sub(decoded) / frame;
            let fed = concealed.min(MAX_CONCEALED_TO_PEER);
            let skipped = (concealed - fed) as u32 + u32::from(paused);
            if skipped > 0 && self.transcoder.is_some() {
                let ticks = skipped * out_format.codec.frame_ticks();
                ctx.shared.out(other).stream.skip(ticks, paused > 0);
            }
            let start = (concealed - fed) * frame;
            self.transcode(&pcm[start.min(pcm.len())..], out_format, ctx, &mut sent);
        }
        if want_8k {
            self.listen(&pcm, ctx);
        }
        self.pcm = pcm;
        sent
    }

    /// Same codec on both legs: the packet as it is, payload type renumbered if needed.
    fn relay_renumbered(&mut self, datagram: &[u8], pt: u8, ctx: &Ctx<'_>, sent: &mut Sent) {
        if datagram.get(1).is_some_and(|b| b & 0x7f == pt) {
            send(ctx, datagram, sent);
            return;
        }
        self.packet.clear();
        self.packet.extend_from_slice(datagram);
        if let Some(b) = self.packet.get_mut(1) {
            *b = (*b & 0x80) | (pt & 0x7f);
        }
        send(ctx, &self.packet, sent);
    }

    /// Decodes into `self.pcm`, concealing `lost` frames first; returns the samples the
    /// packet itself gave. `None` when this leg's codec cannot be decoded at all.
    fn decode(&mut self, payload: &[u8], lost: u16) -> Option<usize> {
        if self.decoder.is_none() {
            match codec::decoder(self.format.codec) {
                Ok(d) => self.decoder = Some(d),
                Err(error) => {
                    if !std::mem::replace(&mut self.warned, true) {
                        tracing::warn!(codec = ?self.format.codec, %error, "no decoder");
                    }
                    return None;
                }
            }
        }
        let decoder = self.decoder.as_mut()?;
        self.pcm.clear();
        for _ in 0..lost {
            // Concealment failing leaves a shorter gap; nothing better to do.
            let _ = decoder.conceal(&mut self.pcm);
        }
        match decoder.decode(payload, &mut self.pcm) {
            Ok(n) => Some(n),
            Err(_) => decoder.conceal(&mut self.pcm).ok(),
        }
    }

    fn transcode(&mut self, pcm: &[i16], out_format: SideFormat, ctx: &Ctx<'_>, sent: &mut Sent) {
        let other = 1 - ctx.from;
        let stale = self
            .transcoder
            .as_ref()
            .is_none_or(|t| t.from != self.format.codec || t.to != out_format.codec);
        if stale {
            match Transcoder::new(self.format.codec, out_format.codec) {
                Ok(t) => {
                    ctx.shared
                        .out(other)
                        .stream
                        .restart(ctx.now, out_format.codec.rtp_clock_rate());
                    self.transcoder = Some(t);
                }
                Err(error) => {
                    if !std::mem::replace(&mut self.warned, true) {
                        tracing::warn!(%error, "cannot transcode");
                    }
                    return;
                }
            }
        }
        let Some(t) = self.transcoder.as_mut() else {
            return;
        };
        let packet = &mut self.packet;
        let result = t.push(pcm, |payload| {
            let header = {
                let mut out = ctx.shared.out(other);
                let (pt, ticks) = (out.format.payload_type, out.format.codec.frame_ticks());
                out.stream.next_audio(pt, ticks, ctx.now)
            };
            header.write(packet);
            packet.extend_from_slice(payload);
            send(ctx, packet, sent);
        });
        if let Err(error) = result {
            if !std::mem::replace(&mut self.warned, true) {
                tracing::warn!(%error, "encoding for the other leg failed");
            }
        }
    }

    /// 8 kHz audio to the leg recording, which ends when it reaches a limit.
    fn record_audio(&mut self, pcm: &[i16]) {
        if pcm.is_empty() {
            return;
        }
        if let Some(end) = self.record.as_mut().and_then(|r| r.push(pcm)) {
            if let Some(r) = self.record.take() {
                r.finish(end);
            }
        }
    }

    /// Decoded audio at the leg's codec rate, to the recorders and the in-band detector.
    fn listen(&mut self, pcm: &[i16], ctx: &Ctx<'_>) {
        let rate = self.format.codec.sample_rate();
        let mut pcm_8k = std::mem::take(&mut self.pcm_8k);
        pcm_8k.clear();
        if rate == RECORD_RATE {
            pcm_8k.extend_from_slice(pcm);
        } else {
            if self.to_8k.is_none() {
                self.to_8k = Resampler::new(rate, RECORD_RATE).ok();
            }
            if let Some(r) = self.to_8k.as_mut() {
                r.process(pcm, &mut pcm_8k);
            }
        }
        let skip = usize::try_from(self.record_skip)
            .unwrap_or(usize::MAX)
            .min(pcm_8k.len());
        self.record_skip -= skip as u64;
        self.record_audio(&pcm_8k[skip..]);
        if let Some(tap) = &self.tap {
            tap.push(ctx.from, &pcm_8k);
        }
        if self.detect && self.format.telephone_event.is_none() {
            let detector = self
                .inband
                .get_or_insert_with(|| DtmfDetector::new(RECORD_RATE));
            self.digits.clear();
            detector.process(&pcm_8k, &mut self.digits);
            for i in 0..self.digits.len() {
                if let Some(digit) = self.gate.in_band(self.digits[i], ctx.now) {
                    self.report(ctx.from, digit);
                }
            }
        }
        self.pcm_8k = pcm_8k;
    }

    fn report(&self, from: usize, digit: char) {
        if let Some(h) = &self.hooks {
            self.event(MediaEvent::Dtmf {
                id: h.id,
                side: side_of(from),
                digit,
            });
        }
    }

    fn telephone_event(
        &mut self,
        p: &RtpPacket<'_>,
        datagram: &[u8],
        ctx: &Ctx<'_>,
        sent: &mut Sent,
    ) {
        if self.detect {
            // The box is the far end of these keys (a menu, a PIN): report, do not relay.
            if let Ok(ev) = TelephoneEvent::parse(p.payload) {
                if let Some(digit) = self.gate.telephone_event(p.timestamp, &ev, ctx.now) {
                    self.report(ctx.from, digit);
                }
            }
            return;
        }
        if !self.forward {
            return;
        }
        let other = 1 - ctx.from;
        let mut out = ctx.shared.out(other);
        // A leg that negotiated no telephone-event cannot receive it: dropped.
        let Some(pt) = out.format.telephone_event else {
            return;
        };
        if out.format.codec == self.format.codec {
            drop(out);
            self.relay_renumbered(datagram, pt, ctx, sent);
            return;
        }
        // Transcoding: the other leg hears the box's stream, so the event must carry that
        // stream's SSRC, sequence and a timestamp on its clock, shared by every packet of
        // the event (RFC 4733 §2.5.1.2).
        let first = self.event_anchor.map(|a| a.0) != Some(p.timestamp);
        if first {
            self.event_anchor = Some((p.timestamp, out.stream.next_timestamp()));
        }
        let ts = self.event_anchor.map_or(0, |a| a.1);
        let header = out.stream.next_event(pt, ts, first);
        drop(out);
        header.write(&mut self.packet);
        self.packet.extend_from_slice(p.payload);
        send(ctx, &self.packet, sent);
    }
}
