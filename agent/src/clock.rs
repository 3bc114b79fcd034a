//! Local wall-clock time for chat lines. The UTC offset is read once at start-up, while the
//! process has one thread (reading it later is refused on Unix: the environment could change
//! under another thread).

use std::sync::OnceLock;

static OFFSET: OnceLock<time::UtcOffset> = OnceLock::new();

/// Reads the local UTC offset; call at the start of `main`, before any thread starts.
pub fn init_local_offset() {
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let _ = OFFSET.set(offset);
}

/// "14:05" in local time (UTC if the offset could not be read).
pub fn local_hh_mm() -> String {
    let offset = OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC);
    let now = time::OffsetDateTime::now_utc().to_offset(offset);
    format!("{:02}:{:02}", now.hour(), now.minute())
}
