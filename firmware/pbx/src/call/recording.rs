//! Call recording (SPEC §9): when the tenant records calls, an answered call is recorded from the
//! moment both legs are connected, into `recordings/<tenant>/<yyyy-mm-dd>/<call>.wav` below the
//! data folder; the CDR names the file.
use super::{Call, CallContext};
use crate::media::CallRecording;

pub(super) fn start_if_enabled(ctx: &mut CallContext<'_>, call: &mut Call) {
    if call.recording.is_some() || !ctx.directory.media.tenant(call.tenant_id).recording {
        return;
    }
    let Some(media) = call.media else {
        return;
    };
    let day = chrono::DateTime::from_timestamp_millis(ctx.unix_ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "undated".to_string());
    let name: String = call
        .a
        .call_id
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = ctx
        .directory
        .media
        .data_dir
        .join("recordings")
        .join(call.tenant_id.to_string())
        .join(day)
        .join(format!("{name}-{}.wav", ctx.unix_ms));
    ctx.media
        .record_call(media.id, CallRecording { path: path.clone() });
    call.recording = Some(path);
}
