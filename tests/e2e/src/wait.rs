//! Bounded polling. The tests never assert on durations; they only refuse to wait
//! forever, so every loop here has a deadline and reports what it was waiting for.

use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};

/// Calls `probe` every `every` until it returns `Some`, or fails after `limit`.
pub fn until<T>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        if start.elapsed() >= limit {
            return Err(HarnessError::Timeout {
                what: what.to_string(),
                waited: limit,
            });
        }
        std::thread::sleep(every);
    }
}
