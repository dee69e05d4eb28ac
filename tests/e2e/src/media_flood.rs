//! The DTMF flood check of issue 4 ("a caller who sends 10,000 DTMF events does not slow
//! anyone else"): one leg floods the box with RFC 4733 key presses while another call
//! carries a tone; the tone must arrive whole and the daemon must answer OPTIONS.

use std::time::Duration;

use crate::audio;
use crate::daemon::Daemon;
use crate::error::{HarnessError, Result};
use crate::media_call::MediaLeg;
use crate::media_check::{sine_rms_dbfs, ToneCheck};
use crate::media_setup::TONE_DBFS;
use crate::sip_client::SipClient;

/// Key presses of one flood.
pub const FLOOD_EVENTS: usize = 10_000;
/// How long the quiet call talks while the flood runs.
const TONE_MS: u32 = 4000;
const TONE_HZ: f32 = 1000.0;

/// What the flood test saw.
#[derive(Debug)]
pub struct FloodOutcome {
    /// RTP packets the flooder sent (4 per key press).
    pub flood_packets: usize,
    /// Audio packets the quiet call's listener got, of `expected`.
    pub relayed: usize,
    pub expected: usize,
    /// The tone as heard by the quiet call's listener.
    pub tone: std::result::Result<(), String>,
    /// CPU time the daemon used while the flood and the tone ran (a figure for the
    /// report; `None` where /proc is not readable).
    pub daemon_cpu: Option<Duration>,
    /// OPTIONS answers during and after the flood.
    pub options_during: u16,
    pub options_after: u16,
}

impl FloodOutcome {
    /// "No loss beyond normal" on loopback: at most the odd packet.
    pub fn undisturbed(&self) -> bool {
        self.relayed + 3 >= self.expected
            && self.tone.is_ok()
            && self.options_during == 200
            && self.options_after == 200
    }
}

fn options(daemon: &Daemon) -> Result<u16> {
    Ok(SipClient::new(daemon.sip)?.options()?.code)
}

/// `flooder` sends [`FLOOD_EVENTS`] key presses cycling through `keys` while `talker`
/// sends a 4 s 1 kHz tone that `listener` must hear; OPTIONS is sent mid-flood.
pub fn flood_beside_a_call(
    daemon: &Daemon,
    flooder: &MediaLeg,
    keys: &str,
    talker: &MediaLeg,
    listener: &MediaLeg,
) -> Result<FloodOutcome> {
    listener.peer.clear();
    let cpu_before = cpu_time(daemon.pid());
    let pcm = audio::tone_ms(TONE_HZ, TONE_DBFS, audio::RATE_8K, TONE_MS);
    let (flood_packets, options_during) = std::thread::scope(|s| {
        let flood = s.spawn(|| {
            flooder
                .peer
                .flood_events(flooder.relay, FLOOD_EVENTS, 4, keys)
        });
        let talk = talker.play(&pcm);
        let during = options(daemon);
        let sent = flood.join().unwrap_or_else(|_| {
            Err(HarnessError::Timeout {
                what: "the flooding thread panicked".to_string(),
                waited: Duration::ZERO,
            })
        });
        talk.and(sent).and_then(|sent| during.map(|d| (sent, d)))
    })?;
    let daemon_cpu = match (cpu_before, cpu_time(daemon.pid())) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    std::thread::sleep(Duration::from_millis(300));
    let heard = listener.peer.heard();
    let relayed = listener.peer.stream_report().packets();
    let tone = ToneCheck::of(&heard, TONE_HZ).expect(
        TONE_HZ,
        TONE_MS - 300,
        5.0,
        Some((sine_rms_dbfs(TONE_DBFS), 2.0)),
        &heard,
    );
    Ok(FloodOutcome {
        flood_packets,
        relayed,
        expected: (TONE_MS / 20) as usize,
        tone,
        daemon_cpu,
        options_during,
        options_after: options(daemon)?,
    })
}

/// User + system CPU time of process `pid` from /proc/<pid>/stat (fields 14 and 15, in
/// clock ticks; the command name in parentheses may hold spaces, so count from its end).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // /proc reports USER_HZ ticks, 100 per second on every Linux the box and CI run.
    let per_second = 100;
    Some(Duration::from_millis(ticks * 1000 / per_second))
}
