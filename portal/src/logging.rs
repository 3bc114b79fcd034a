//! The portal's log filter: what may never be logged is held back here, whatever
//! `RUST_LOG` says.

use crate::audit_trail;

/// Libraries whose verbose logs would print WebSocket payloads (passwords, codes, chat).
const PAYLOAD_LOGGERS: [&str; 2] = ["tungstenite", "tokio_tungstenite"];

/// The log filter for `spec` (`RUST_LOG` syntax; `None` or invalid: "info"), with the
/// WebSocket libraries held at "info" whatever it says: at debug and trace they print whole
/// frames, and the portal never logs passwords, codes or chat text.
pub fn log_filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    let mut filter = spec
        .and_then(|s| tracing_subscriber::EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    for target in PAYLOAD_LOGGERS {
        // A target name followed by a level always parses.
        if let Ok(directive) = format!("{target}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    // The audit trail's heads are its copy outside the database: never filtered out.
    if let Ok(directive) = format!("{}=info", audit_trail::HEAD_TARGET).parse() {
        filter = filter.add_directive(directive);
    }
    filter
}
