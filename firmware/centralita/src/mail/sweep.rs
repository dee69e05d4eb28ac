//! Retention: expired voicemail messages and their audio files, and old finished mail rows.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use store::Store;

use super::error::MailError;

/// Sent or given-up mails are kept this long (a trace for support), then forgotten.
pub const KEEP_FINISHED_MAIL: Duration = Duration::from_secs(30 * 24 * 3600);

/// A file named by a database row, under the data folder. Rows are written by the daemon
/// itself, but a path that would leave the folder is refused rather than trusted.
pub fn data_path(data_dir: &Path, relative: &str) -> Result<PathBuf, MailError> {
    let path = Path::new(relative);
    let safe = !relative.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if !safe {
        return Err(MailError::UnsafePath {
            path: relative.to_owned(),
        });
    }
    Ok(data_dir.join(path))
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub expired_messages: usize,
    pub files_removed: usize,
    pub purged_mails: usize,
}

/// Deletes what has expired at `now_utc`. Rows go first (one transaction), files after: a
/// crash in between leaves an orphan file, never a message whose audio is missing.
pub fn sweep(store: &mut Store, data_dir: &Path, now_utc: i64) -> Result<SweepReport, MailError> {
    let files = store.expire_voicemails(now_utc)?;
    let mut report = SweepReport {
        expired_messages: files.len(),
        ..SweepReport::default()
    };
    for file in &files {
        match data_path(data_dir, file).map(|p| (std::fs::remove_file(&p), p)) {
            Ok((Ok(()), _)) => report.files_removed += 1,
            Ok((Err(e), _)) if e.kind() == std::io::ErrorKind::NotFound => {}
            Ok((Err(e), path)) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove expired voicemail file");
            }
            Err(e) => tracing::warn!(error = %e, "expired voicemail with an unsafe file path"),
        }
    }
    let keep = i64::try_from(KEEP_FINISHED_MAIL.as_millis()).unwrap_or(i64::MAX);
    report.purged_mails = store.purge_mail(now_utc.saturating_sub(keep))?;
    Ok(report)
}
