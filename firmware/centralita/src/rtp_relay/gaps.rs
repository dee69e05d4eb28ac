//! Where a received packet falls in its stream: how many 20 ms frames are missing before it,
//! told apart as lost (a sequence gap: conceal them) or paused (a timestamp jump with no
//! sequence gap: the phone chose silence, DTX or silence suppression).

/// Frames concealed or filled at most per gap (1 s): a jump larger than that is a new stream
/// (or a hostile one), not a second of loss.
pub const MAX_FILL: u16 = 50;
/// How far a recording may be filled at once (60 s of frames) when its watchdog already
/// recorded the silence and only the difference is needed.
const MAX_UNCAPPED: u64 = 3000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// A duplicate or a late packet: its time has already been accounted for.
    Stale,
    Frames {
        /// Missing by sequence number, capped at `MAX_FILL`.
        lost: u16,
        /// Missing by timestamp beyond `lost`, capped at `MAX_FILL`.
        paused: u16,
        /// Everything missing, capped only at a minute.
        total: u64,
    },
}

const NONE: Gap = Gap::Frames {
    lost: 0,
    paused: 0,
    total: 0,
};

#[derive(Debug, Default, Clone)]
pub struct StreamClock {
    /// SSRC and sequence number of the last packet accepted.
    last: Option<(u32, u16)>,
    /// RTP timestamp where the last packet's audio ended.
    next_ts: Option<u32>,
}

impl StreamClock {
    /// Start over: the next packet begins a new stream.
    pub fn reset(&mut self) {
        *self = StreamClock::default();
    }

    /// Judges a packet; `frame_ticks` is the codec's RTP timestamp step per 20 ms.
    pub fn on_packet(&mut self, ssrc: u32, sequence: u16, timestamp: u32, frame_ticks: u32) -> Gap {
        let Some((last_ssrc, last)) = self.last else {
            self.last = Some((ssrc, sequence));
            return NONE;
        };
        if last_ssrc != ssrc {
            // A new source: nothing to conceal.
            self.last = Some((ssrc, sequence));
            self.next_ts = None;
            return NONE;
        }
        let step = sequence.wrapping_sub(last);
        let behind = last.wrapping_sub(sequence);
        if step == 0 || (step >= 0x8000 && behind <= MAX_FILL) {
            return Gap::Stale;
        }
        self.last = Some((ssrc, sequence));
        if step >= 0x8000 {
            // Far behind: the phone restarted its numbering.
            self.next_ts = None;
            return NONE;
        }
        let by_seq = u64::from(step - 1);
        let by_ts = self.next_ts.map_or(0, |next| {
            let ahead = timestamp.wrapping_sub(next);
            if ahead >= 0x8000_0000 {
                0
            } else {
                u64::from(ahead / frame_ticks.max(1))
            }
        });
        let lost = u16::try_from(by_seq.min(u64::from(MAX_FILL))).unwrap_or(MAX_FILL);
        let paused = u16::try_from(by_ts.min(u64::from(MAX_FILL)))
            .unwrap_or(MAX_FILL)
            .saturating_sub(lost);
        Gap::Frames {
            lost,
            paused,
            total: by_seq.max(by_ts).min(MAX_UNCAPPED),
        }
    }

    /// The accepted packet held `ticks` of audio (RTP clock) from `timestamp`.
    pub fn decoded(&mut self, timestamp: u32, ticks: u32) {
        self.next_ts = Some(timestamp.wrapping_add(ticks));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(lost: u16, paused: u16, total: u64) -> Gap {
        Gap::Frames {
            lost,
            paused,
            total,
        }
    }

    #[test]
    fn loss_pause_duplicates_and_restarts() {
        let mut c = StreamClock::default();
        let at = |c: &mut StreamClock, seq: u16, ts: u32| {
            let g = c.on_packet(9, seq, ts, 160);
            if g != Gap::Stale {
                c.decoded(ts, 160);
            }
            g
        };
        assert_eq!(at(&mut c, 10, 1600), NONE);
        assert_eq!(at(&mut c, 11, 1760), NONE);
        assert_eq!(at(&mut c, 11, 1760), Gap::Stale, "duplicate");
        assert_eq!(at(&mut c, 14, 2240), frames(2, 0, 2), "two lost");
        assert_eq!(at(&mut c, 12, 1920), Gap::Stale, "late");
        assert_eq!(
            at(&mut c, 15, 2400 + 160 * 100),
            frames(0, 50, 100),
            "DTX pause"
        );
        assert_eq!(at(&mut c, 5000, 0), frames(50, 0, 3000), "jump capped");
        assert_eq!(at(&mut c, 4000, 0), NONE, "numbering restarted");
        assert_eq!(c.on_packet(10, 1, 0, 160), NONE, "new SSRC");
    }
}
