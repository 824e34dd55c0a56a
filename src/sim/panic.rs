//! Turning a panic inside a node's handler into a reported outcome.
//!
//! The simulator runs each handler under `catch_unwind`. The default panic hook would still
//! print a backtrace-style message to stderr; a command-line tool must not show that, so
//! [`install_quiet_hook`] replaces it with one that remembers where the panic happened, and
//! the simulator puts that location into the `Panic` outcome instead.

use std::any::Any;
use std::cell::RefCell;

thread_local! {
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Silences panic output process-wide and records each panic's location for the reports.
/// Call once from a binary; libraries embedding the simulator may keep their own hook.
pub fn install_quiet_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        LAST_LOCATION.with(|last| *last.borrow_mut() = location);
    }));
}

/// A one-line description of a caught panic: its message and, if known, where it happened.
pub fn describe(payload: &(dyn Any + Send)) -> String {
    let message = if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-text panic payload".to_string()
    };
    // One line whatever the payload holds: newlines become spaces, other control characters
    // are escaped.
    let message: String = message
        .replace('\n', " ")
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    match LAST_LOCATION.with(|last| last.borrow_mut().take()) {
        Some(location) => format!("{message} (at {location})"),
        None => message,
    }
}
