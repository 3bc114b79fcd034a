//! One reader of standard input for the front ends: a thread (stdin is blocking) that parses
//! each non-empty line into session commands.

use tokio::sync::mpsc;

use crate::session::UiCommand;

/// What to do when stdin closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnClose {
    /// Leave the session (headless: the controlling program is gone).
    Leave,
    /// Nothing (window: the window decides when the session ends).
    Stay,
}

/// Starts the reader. `parse` turns a line into commands or an error for `on_error`.
pub fn spawn_reader(
    name: &str,
    parse: fn(&str) -> Result<Vec<UiCommand>, String>,
    commands: mpsc::UnboundedSender<UiCommand>,
    on_error: impl Fn(String) + Send + 'static,
    on_close: OnClose,
) {
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                match parse(&line) {
                    Ok(cmds) => {
                        if cmds.into_iter().any(|c| commands.send(c).is_err()) {
                            return;
                        }
                    }
                    Err(e) => on_error(e),
                }
            }
            if on_close == OnClose::Leave {
                let _ = commands.send(UiCommand::Leave);
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot read stdin: {e}");
    }
}
