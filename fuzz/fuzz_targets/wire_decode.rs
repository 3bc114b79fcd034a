//! The wire decoder: every data channel message from a peer goes through `Message::decode`,
//! and byte-stream transports (the relay) cut frames with `split_frame`. Neither may panic
//! or allocate beyond the frame, and whatever decodes must survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_protocol::wire::{HEADER_LEN, MAX_PAYLOAD, Message, split_frame};

fuzz_target!(|data: &[u8]| {
    // A data channel delivers whole messages: the input is one datagram.
    check_frame(data);

    // A byte stream carries frames back to back: cut them as the relay does.
    let mut rest = data;
    while let Ok(Some(len)) = split_frame(rest) {
        assert!((HEADER_LEN..=HEADER_LEN + MAX_PAYLOAD).contains(&len));
        check_frame(&rest[..len]);
        rest = &rest[len..];
    }
});

fn check_frame(frame: &[u8]) {
    let Ok(msg) = Message::decode(frame) else {
        return;
    };
    // A decoded frame is exactly one frame.
    assert_eq!(split_frame(frame), Ok(Some(frame.len())));
    // Re-encoding is canonical up to dropped unknown rights bits, so it has the same length
    // and decodes to the same message.
    let again = msg.encode();
    assert_eq!(again.len(), frame.len(), "{msg:?}");
    assert_eq!(Message::decode(&again).as_ref(), Ok(&msg));
    assert_eq!(msg.id(), u16::from_le_bytes([frame[0], frame[1]]));
}
