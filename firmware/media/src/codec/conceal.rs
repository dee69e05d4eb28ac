//! Packet-loss concealment for the waveform codecs (G.711, G.722), which have none of
//! their own: the last good frame is replayed at half the amplitude per consecutive loss,
//! and silence follows after a few losses.
//!
//! This is far simpler than G.711 Appendix I, but it hides the click of an isolated
//! lost packet (the common case on a LAN) and cannot build up a loud artefact: the
//! replay fades out within 60 ms.

/// Losses in a row after which the output is plain silence.
const MAX_REPLAYS: u32 = 3;

#[derive(Debug, Clone, Default)]
pub(crate) struct RepeatFade {
    /// The last frame decoded from a real payload.
    last: Vec<i16>,
    /// Losses since that frame.
    losses: u32,
}

impl RepeatFade {
    /// Remembers the frame just decoded (the tail of `out` from `start`).
    pub(crate) fn remember(&mut self, out: &[i16], start: usize) {
        self.last.clear();
        self.last
            .extend_from_slice(out.get(start..).unwrap_or_default());
        self.losses = 0;
    }

    /// Appends one concealment frame of `samples` samples; returns `samples`.
    pub(crate) fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> usize {
        self.losses = self.losses.saturating_add(1);
        if self.losses > MAX_REPLAYS || self.last.is_empty() {
            out.resize(out.len() + samples, 0);
            return samples;
        }
        let shift = self.losses;
        // Cycling the last frame covers a frame shorter than 20 ms (a peer sending 10 ms).
        out.extend(self.last.iter().cycle().take(samples).map(|&s| s >> shift));
        samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_before_any_frame() {
        let mut plc = RepeatFade::default();
        let mut out = Vec::new();
        assert_eq!(plc.conceal(160, &mut out), 160);
        assert!(out.iter().all(|&s| s == 0));
    }

    #[test]
    fn replays_fading_then_silence() {
        let mut plc = RepeatFade::default();
        let frame = vec![1000i16; 160];
        plc.remember(&frame, 0);
        let mut out = Vec::new();
        for _ in 0..4 {
            plc.conceal(160, &mut out);
        }
        assert_eq!(out[0], 500);
        assert_eq!(out[160], 250);
        assert_eq!(out[320], 125);
        assert_eq!(out[480], 0);
        plc.remember(&frame, 0);
        out.clear();
        plc.conceal(160, &mut out);
        assert_eq!(out[0], 500);
    }
}
