//! Hold with music from the box: when one leg puts the call on hold (an offer with sendonly,
//! inactive or the RFC 2543 `c=0.0.0.0`), the offer is still relayed (the held phone learns it is
//! held and only receives), and the box plays the tenant's music on hold — or the firmware's
//! default track — to the held leg; resuming (sendrecv again) reconnects the two legs.
use super::CallContext;
use crate::media::{Playback, Side};
use media::sdp::{Direction, SessionDescription};
use std::path::PathBuf;

/// Token of music-on-hold playbacks (they loop; no application waits for their end).
pub const MOH_TOKEN: u64 = u64::MAX;

pub(super) fn on_offer(
    ctx: &mut CallContext<'_>,
    media_id: u64,
    from: Side,
    body: &[u8],
    music: Option<PathBuf>,
) -> Option<bool> {
    let offer = SessionDescription::parse(body).ok()?;
    let index = super::sdp_codecs::audio_index(&offer)?;
    let direction = offer.media_direction(index);
    let zero_address = offer
        .media_connection(index)
        .and_then(|c| c.address.ip())
        .is_some_and(|ip| ip.is_unspecified());
    let holds = zero_address || matches!(direction, Direction::SendOnly | Direction::Inactive);
    if holds {
        tracing::debug!(media_id, ?from, "call on hold: music to the held leg");
        ctx.media.play(
            media_id,
            from.other(),
            Playback::MusicOnHold(music),
            MOH_TOKEN,
        );
        Some(true)
    } else if direction == Direction::SendRecv {
        ctx.media.connect(media_id);
        Some(false)
    } else {
        None
    }
}
