//! Signalling JSON: the portal parses every client's WebSocket text as `ClientMessage`, and
//! agents and viewers parse the portal's as `PortalMessage`. Parsing must not panic, and
//! whatever parses must re-serialise to JSON that parses back to an equal value (the portal
//! forwards and stores what it parsed, so a lossy or failing round trip would corrupt it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};
use tandem_protocol::signal::{ClientMessage, PortalMessage};

fuzz_target!(|data: &[u8]| {
    round_trip::<ClientMessage>(data);
    round_trip::<PortalMessage>(data);
});

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let json = serde_json::to_vec(&value).expect("a parsed message serialises");
    let again: T = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "{value:?} re-serialised as {} does not parse: {e}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(again, value, "{}", String::from_utf8_lossy(&json));
}
