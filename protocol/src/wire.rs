//! Tandem's binary wire format on the WebRTC data channels.
//!
//! Every message is one frame: `id: u16 LE | len: u32 LE | payload[len]`. Ids are numbered
//! once and never reused; a change adds a new id. A frame with an id this version does not
//! know decodes to [`Message::Unknown`] (the peer answers with an error, nobody panics).
//! Integers are little-endian; strings and byte strings carry a `u32` length prefix.
//! The golden tests at the bottom pin the bytes.

use crate::bytes::{Reader, Writer};
use crate::ids::{AttendeeId, Rights};
use crate::input::InputEvent;

/// Largest frame payload accepted. Frame updates are chunked far below this (see
/// [`crate::tiles::CHUNK_BUDGET`]); anything larger is a broken or hostile peer.
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// Bytes of frame header before the payload.
pub const HEADER_LEN: usize = 6;

/// Protocol versions this build speaks, inclusive.
pub const VERSION_MIN: u16 = 1;
/// See [`VERSION_MIN`].
pub const VERSION_MAX: u16 = 1;

/// Picks the highest version both ranges contain.
pub fn negotiate_version(ours: (u16, u16), theirs: (u16, u16)) -> Option<u16> {
    let low = ours.0.max(theirs.0);
    let high = ours.1.min(theirs.1);
    (low <= high).then_some(high)
}

/// Largest cursor side accepted (X cursors are at most 64 px at normal sizes).
pub const MAX_CURSOR_SIDE: u16 = 256;

/// Largest screen side, in pixels, a [`FrameUpdate`] may announce. A viewer refuses a bigger
/// announcement before allocating anything ([`crate::updates`]): without a limit, a 35-byte
/// message announcing 65535×65535 makes it allocate 17 GB. Real screens stay far below
/// (an agent captures one X screen; two 8K monitors side by side are 15360 wide), so an agent
/// never announces more; see also [`MAX_SCREEN_PIXELS`].
pub const MAX_SCREEN_SIDE: u16 = 16384;
/// Largest screen area, in pixels, a [`FrameUpdate`] may announce: 8K UHD (7680×4320). The
/// viewer's picture then takes at most 133 MB (4 bytes per pixel).
pub const MAX_SCREEN_PIXELS: u32 = 7680 * 4320;

/// Whether a screen of `width`×`height` pixels is within [`MAX_SCREEN_SIDE`] and
/// [`MAX_SCREEN_PIXELS`].
pub fn screen_size_allowed(width: u16, height: u16) -> bool {
    width <= MAX_SCREEN_SIDE
        && height <= MAX_SCREEN_SIDE
        && u32::from(width) * u32::from(height) <= MAX_SCREEN_PIXELS
}

/// Message ids. Never reuse or renumber one.
pub mod id {
    /// [`super::Message::Hello`]
    pub const HELLO: u16 = 1;
    /// [`super::Message::Welcome`]
    pub const WELCOME: u16 = 2;
    /// [`super::Message::RightsChanged`]
    pub const RIGHTS_CHANGED: u16 = 3;
    /// [`super::Message::Ping`]
    pub const PING: u16 = 4;
    /// [`super::Message::Pong`]
    pub const PONG: u16 = 5;
    /// [`super::Message::Error`]
    pub const ERROR: u16 = 6;
    /// [`super::Message::End`]
    pub const END: u16 = 7;
    /// [`super::Message::RefreshRequest`]
    pub const REFRESH_REQUEST: u16 = 8;
    /// [`super::Message::RebootRequest`]
    pub const REBOOT_REQUEST: u16 = 9;
    /// [`super::Message::Rebooting`]
    pub const REBOOTING: u16 = 10;
    /// [`super::Message::ControlRequest`]
    pub const CONTROL_REQUEST: u16 = 11;
    /// [`super::Message::FrameUpdate`]
    pub const FRAME_UPDATE: u16 = 16;
    /// [`super::Message::CursorShape`]
    pub const CURSOR_SHAPE: u16 = 17;
    /// [`super::Message::CursorPosition`]
    pub const CURSOR_POSITION: u16 = 18;
    /// Input: pointer move.
    pub const POINTER_MOVE: u16 = 32;
    /// Input: pointer button.
    pub const POINTER_BUTTON: u16 = 33;
    /// Input: wheel.
    pub const WHEEL: u16 = 34;
    /// Input: key.
    pub const KEY: u16 = 35;
    /// Input: text.
    pub const TEXT: u16 = 36;
    /// [`super::Message::FileOffer`]
    pub const FILE_OFFER: u16 = 64;
    /// [`super::Message::FileAccept`]
    pub const FILE_ACCEPT: u16 = 65;
    /// [`super::Message::FileChunk`]
    pub const FILE_CHUNK: u16 = 66;
    /// [`super::Message::FileComplete`]
    pub const FILE_COMPLETE: u16 = 67;
    /// [`super::Message::FileFailed`]
    pub const FILE_FAILED: u16 = 68;
    /// [`super::Message::FileFetch`]
    pub const FILE_FETCH: u16 = 69;
    /// [`super::Message::ListDir`]
    pub const LIST_DIR: u16 = 70;
    /// [`super::Message::DirListing`]
    pub const DIR_LISTING: u16 = 71;
    /// [`super::Message::Clipboard`]
    pub const CLIPBOARD: u16 = 80;
}

/// Error codes carried by [`Message::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The peer sent a message id we do not know.
    UnknownMessage,
    /// The peer sent bytes that do not parse.
    Malformed,
    /// The peer's rights do not allow what it asked.
    NotAllowed,
    /// No common protocol version.
    VersionMismatch,
    /// A code from a newer peer.
    Other(u16),
}

impl ErrorCode {
    fn to_wire(self) -> u16 {
        match self {
            ErrorCode::UnknownMessage => 1,
            ErrorCode::Malformed => 2,
            ErrorCode::NotAllowed => 3,
            ErrorCode::VersionMismatch => 4,
            ErrorCode::Other(c) => c,
        }
    }
    fn from_wire(c: u16) -> Self {
        match c {
            1 => ErrorCode::UnknownMessage,
            2 => ErrorCode::Malformed,
            3 => ErrorCode::NotAllowed,
            4 => ErrorCode::VersionMismatch,
            other => ErrorCode::Other(other),
        }
    }
}

/// One compressed rectangle of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedTile {
    /// Left edge in screen pixels.
    pub x: u16,
    /// Top edge in screen pixels.
    pub y: u16,
    /// Width in pixels.
    pub w: u16,
    /// Height in pixels.
    pub h: u16,
    /// How `data` is encoded (see [`crate::tiles::TileEncoding`]).
    pub encoding: u8,
    /// The encoded pixels.
    pub data: Vec<u8>,
}

/// A chunk of one screen update. An update spans one or more messages with the same `seq`;
/// the one with `last` set completes it, so a viewer never shows half an update. The screen
/// size must satisfy [`screen_size_allowed`]; a viewer also bounds what an unfinished update
/// may hold ([`crate::updates::pending_limit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameUpdate {
    /// Update number, increasing per viewer.
    pub seq: u32,
    /// Screen width in pixels.
    pub width: u16,
    /// Screen height in pixels.
    pub height: u16,
    /// True on the final chunk of this update.
    pub last: bool,
    /// Changed tiles in this chunk.
    pub tiles: Vec<EncodedTile>,
}

/// Everything that travels on the data channels.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// Viewer → agent, first message: who I am and which versions I speak.
    Hello {
        /// Lowest version spoken.
        version_min: u16,
        /// Highest version spoken.
        version_max: u16,
        /// The attendee id the portal gave this viewer.
        attendee: AttendeeId,
    },
    /// Agent → viewer: the chosen version and the attendee's effective rights.
    Welcome {
        /// Negotiated version.
        version: u16,
        /// Rights granted by the portal, narrowed by the customer's consent.
        rights: Rights,
    },
    /// Agent → viewer: effective rights changed.
    RightsChanged {
        /// The new effective rights.
        rights: Rights,
    },
    /// Liveness probe.
    Ping {
        /// Echoed in the pong.
        nonce: u64,
    },
    /// Answer to [`Message::Ping`].
    Pong {
        /// The ping's nonce.
        nonce: u64,
    },
    /// Something the peer sent was refused.
    Error {
        /// Category.
        code: ErrorCode,
        /// Words for a person.
        text: String,
    },
    /// The sender ends the session.
    End {
        /// Words for a person.
        reason: String,
    },
    /// Viewer → agent: send the whole screen again.
    RefreshRequest,
    /// Viewer → agent: please reboot the customer's machine (needs the REBOOT right and the
    /// customer's consent).
    RebootRequest,
    /// Agent → viewer: the machine reboots now; the agent comes back by itself.
    Rebooting,
    /// Viewer → agent: the customer took control away; please ask them to give it back (needs
    /// CONTROL in the host's grant; the customer answers Allow or Not now).
    ControlRequest,
    /// Agent → viewer: part of a screen update.
    FrameUpdate(FrameUpdate),
    /// Agent → viewer: the pointer's look (it is not part of the screen updates).
    CursorShape {
        /// Changes whenever the shape does.
        serial: u32,
        /// Width in pixels (at most [`MAX_CURSOR_SIDE`]).
        width: u16,
        /// Height in pixels (at most [`MAX_CURSOR_SIDE`]).
        height: u16,
        /// The pixel that points, from the left.
        hot_x: u16,
        /// The pixel that points, from the top.
        hot_y: u16,
        /// B,G,R,A per pixel, alpha premultiplied, row by row.
        bgra: Vec<u8>,
    },
    /// Agent → viewer: where the pointer's hot spot is on the screen.
    CursorPosition {
        /// Screen x.
        x: u16,
        /// Screen y.
        y: u16,
    },
    /// Viewer → agent: keyboard or mouse.
    Input(InputEvent),
    /// Offer a file (sender → receiver). Names are parsed by the receiver
    /// ([`crate::files::FileName`]).
    FileOffer {
        /// Transfer id, chosen by whoever started it.
        id: u32,
        /// File name only, no path.
        name: String,
        /// Size in bytes.
        size: u64,
        /// SHA-256 of the whole file.
        sha256: [u8; 32],
    },
    /// Receiver → sender: send from this offset (non-zero when resuming).
    FileAccept {
        /// Transfer id.
        id: u32,
        /// First byte wanted.
        offset: u64,
    },
    /// Sender → receiver: bytes at an offset.
    FileChunk {
        /// Transfer id.
        id: u32,
        /// Where these bytes go.
        offset: u64,
        /// At most [`crate::files::CHUNK`] bytes.
        data: Vec<u8>,
    },
    /// Receiver → sender: verified and in place under its final name.
    FileComplete {
        /// Transfer id.
        id: u32,
    },
    /// Either way: the transfer stopped.
    FileFailed {
        /// Transfer id.
        id: u32,
        /// Words for a person.
        reason: String,
    },
    /// Viewer → agent: send me this file from the customer's shared folder.
    FileFetch {
        /// Transfer id for the offer that answers it.
        id: u32,
        /// Path inside the shared folder ([`crate::files::RelativePath`]).
        path: String,
    },
    /// Viewer → agent: list a folder of the customer's shared folder.
    ListDir {
        /// Request id.
        id: u32,
        /// Path inside the shared folder.
        path: String,
    },
    /// Agent → viewer: a folder's entries.
    DirListing {
        /// Request id.
        id: u32,
        /// The entries.
        entries: Vec<crate::files::DirEntry>,
    },
    /// Either way: a chunk of what one side copied (needs the CLIPBOARD right; see
    /// [`crate::clipboard`]).
    Clipboard(crate::clipboard::ClipChunk),
    /// A message id this version does not know.
    Unknown {
        /// Its id.
        id: u16,
        /// Its payload, untouched.
        payload: Vec<u8>,
    },
}

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame or a field inside it ends early.
    #[error("message truncated")]
    Truncated,
    /// The header announces more than [`MAX_PAYLOAD`] bytes.
    #[error("message of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// A field holds a value that is not allowed.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// Bytes left over after the payload or the message.
    #[error("trailing bytes after message")]
    Trailing,
}

impl Message {
    /// The numeric id this message is sent with.
    pub fn id(&self) -> u16 {
        match self {
            Message::Hello { .. } => id::HELLO,
            Message::Welcome { .. } => id::WELCOME,
            Message::RightsChanged { .. } => id::RIGHTS_CHANGED,
            Message::Ping { .. } => id::PING,
            Message::Pong { .. } => id::PONG,
            Message::Error { .. } => id::ERROR,
            Message::End { .. } => id::END,
            Message::RefreshRequest => id::REFRESH_REQUEST,
            Message::RebootRequest => id::REBOOT_REQUEST,
            Message::Rebooting => id::REBOOTING,
            Message::ControlRequest => id::CONTROL_REQUEST,
            Message::FrameUpdate(_) => id::FRAME_UPDATE,
            Message::CursorShape { .. } => id::CURSOR_SHAPE,
            Message::CursorPosition { .. } => id::CURSOR_POSITION,
            Message::Input(ev) => match ev {
                InputEvent::PointerMove { .. } => id::POINTER_MOVE,
                InputEvent::PointerButton { .. } => id::POINTER_BUTTON,
                InputEvent::Wheel { .. } => id::WHEEL,
                InputEvent::Key { .. } => id::KEY,
                InputEvent::Text(_) => id::TEXT,
            },
            Message::FileOffer { .. } => id::FILE_OFFER,
            Message::FileAccept { .. } => id::FILE_ACCEPT,
            Message::FileChunk { .. } => id::FILE_CHUNK,
            Message::FileComplete { .. } => id::FILE_COMPLETE,
            Message::FileFailed { .. } => id::FILE_FAILED,
            Message::FileFetch { .. } => id::FILE_FETCH,
            Message::ListDir { .. } => id::LIST_DIR,
            Message::DirListing { .. } => id::DIR_LISTING,
            Message::Clipboard(_) => id::CLIPBOARD,
            Message::Unknown { id, .. } => *id,
        }
    }

    /// Encodes header and payload into one frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u16(self.id());
        w.u32(0); // length, patched below
        self.encode_payload(&mut w);
        let len = (w.buf.len() - HEADER_LEN) as u32;
        w.buf[2..HEADER_LEN].copy_from_slice(&len.to_le_bytes());
        w.buf
    }

    fn encode_payload(&self, w: &mut Writer) {
        match self {
            Message::Hello {
                version_min,
                version_max,
                attendee,
            } => {
                w.u16(*version_min);
                w.u16(*version_max);
                w.u32(attendee.to_wire());
            }
            Message::Welcome { version, rights } => {
                w.u16(*version);
                w.u32(rights.to_wire());
            }
            Message::RightsChanged { rights } => w.u32(rights.to_wire()),
            Message::Ping { nonce } | Message::Pong { nonce } => w.u64(*nonce),
            Message::Error { code, text } => {
                w.u16(code.to_wire());
                w.str(text);
            }
            Message::End { reason } => w.str(reason),
            Message::RefreshRequest
            | Message::RebootRequest
            | Message::Rebooting
            | Message::ControlRequest => {}
            Message::FrameUpdate(u) => {
                w.u32(u.seq);
                w.u16(u.width);
                w.u16(u.height);
                w.bool(u.last);
                w.u32(u.tiles.len() as u32);
                for t in &u.tiles {
                    w.u16(t.x);
                    w.u16(t.y);
                    w.u16(t.w);
                    w.u16(t.h);
                    w.u8(t.encoding);
                    w.bytes(&t.data);
                }
            }
            Message::CursorShape {
                serial,
                width,
                height,
                hot_x,
                hot_y,
                bgra,
            } => {
                w.u32(*serial);
                w.u16(*width);
                w.u16(*height);
                w.u16(*hot_x);
                w.u16(*hot_y);
                w.bytes(bgra);
            }
            Message::CursorPosition { x, y } => {
                w.u16(*x);
                w.u16(*y);
            }
            Message::Input(ev) => match ev {
                InputEvent::PointerMove { x, y } => {
                    w.u16(*x);
                    w.u16(*y);
                }
                InputEvent::PointerButton { button, down } => {
                    w.u8(button.0);
                    w.bool(*down);
                }
                InputEvent::Wheel { dx, dy } => {
                    w.i16(*dx);
                    w.i16(*dy);
                }
                InputEvent::Key { keysym, down } => {
                    w.u32(*keysym);
                    w.bool(*down);
                }
                InputEvent::Text(s) => w.str(s),
            },
            Message::FileOffer {
                id,
                name,
                size,
                sha256,
            } => {
                w.u32(*id);
                w.str(name);
                w.u64(*size);
                w.buf.extend_from_slice(sha256);
            }
            Message::FileAccept { id, offset } => {
                w.u32(*id);
                w.u64(*offset);
            }
            Message::FileChunk { id, offset, data } => {
                w.u32(*id);
                w.u64(*offset);
                w.bytes(data);
            }
            Message::FileComplete { id } => w.u32(*id),
            Message::FileFailed { id, reason } => {
                w.u32(*id);
                w.str(reason);
            }
            Message::FileFetch { id, path } | Message::ListDir { id, path } => {
                w.u32(*id);
                w.str(path);
            }
            Message::DirListing { id, entries } => {
                w.u32(*id);
                w.u32(entries.len() as u32);
                for e in entries {
                    w.str(&e.name);
                    w.bool(e.is_dir);
                    w.u64(e.size);
                }
            }
            Message::Clipboard(c) => {
                w.u32(c.serial);
                w.u8(c.format.to_wire());
                w.u32(c.total);
                w.u32(c.offset);
                w.bytes(&c.data);
            }
            Message::Unknown { payload, .. } => w.buf.extend_from_slice(payload),
        }
    }

    /// Decodes exactly one frame (a data channel delivers whole messages).
    pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
        match split_frame(frame)? {
            Some(len) if len == frame.len() => {}
            Some(_) => return Err(DecodeError::Trailing),
            None => return Err(DecodeError::Truncated),
        }
        let id = u16::from_le_bytes([frame[0], frame[1]]);
        let mut r = Reader::new(&frame[HEADER_LEN..]);
        let msg = decode_payload(id, &mut r)?;
        if !matches!(msg, Message::Unknown { .. }) && r.remaining() != 0 {
            return Err(DecodeError::Trailing);
        }
        Ok(msg)
    }
}

#[path = "wire_decode.rs"]
mod decode;
use decode::decode_payload;
pub use decode::split_frame;

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
