//! Decoding payloads by message id (the encoding side is in `wire.rs`).

use super::ErrorCode;
use super::{DecodeError, EncodedTile, FrameUpdate, HEADER_LEN, MAX_PAYLOAD, Message, id};
use crate::bytes::Reader;
use crate::ids::{AttendeeId, Rights};
use crate::input::{Button, InputEvent};

/// For byte streams: the length of the first complete frame in `buf`, `None` if more bytes
/// are needed, or an error if the header announces an oversized frame.
pub fn split_frame(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let len = u32::from_le_bytes([buf[2], buf[3], buf[4], buf[5]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(DecodeError::TooLarge(len));
    }
    Ok((buf.len() >= HEADER_LEN + len).then_some(HEADER_LEN + len))
}

pub(super) fn decode_payload(id: u16, r: &mut Reader<'_>) -> Result<Message, DecodeError> {
    Ok(match id {
        id::HELLO => Message::Hello {
            version_min: r.u16()?,
            version_max: r.u16()?,
            attendee: AttendeeId::from_wire(r.u32()?),
        },
        id::WELCOME => Message::Welcome {
            version: r.u16()?,
            rights: Rights::from_wire(r.u32()?),
        },
        id::RIGHTS_CHANGED => Message::RightsChanged {
            rights: Rights::from_wire(r.u32()?),
        },
        id::PING => Message::Ping { nonce: r.u64()? },
        id::PONG => Message::Pong { nonce: r.u64()? },
        id::ERROR => Message::Error {
            code: ErrorCode::from_wire(r.u16()?),
            text: r.string()?,
        },
        id::END => Message::End {
            reason: r.string()?,
        },
        id::REFRESH_REQUEST => Message::RefreshRequest,
        id::REBOOT_REQUEST => Message::RebootRequest,
        id::REBOOTING => Message::Rebooting,
        id::CONTROL_REQUEST => Message::ControlRequest,
        id::FRAME_UPDATE => {
            let seq = r.u32()?;
            let width = r.u16()?;
            let height = r.u16()?;
            let last = r.bool()?;
            let count = r.u32()? as usize;
            // Each tile needs at least 13 bytes, so a count beyond that is a lie.
            if count > r.remaining() / 13 {
                return Err(DecodeError::Truncated);
            }
            let mut tiles = Vec::with_capacity(count);
            for _ in 0..count {
                tiles.push(EncodedTile {
                    x: r.u16()?,
                    y: r.u16()?,
                    w: r.u16()?,
                    h: r.u16()?,
                    encoding: r.u8()?,
                    data: r.bytes()?.to_vec(),
                });
            }
            Message::FrameUpdate(FrameUpdate {
                seq,
                width,
                height,
                last,
                tiles,
            })
        }
        id::CURSOR_SHAPE => {
            let serial = r.u32()?;
            let (width, height) = (r.u16()?, r.u16()?);
            let (hot_x, hot_y) = (r.u16()?, r.u16()?);
            let bgra = r.bytes()?.to_vec();
            if width > super::MAX_CURSOR_SIDE
                || height > super::MAX_CURSOR_SIDE
                || bgra.len() != usize::from(width) * usize::from(height) * 4
                || (width > 0 && hot_x >= width)
                || (height > 0 && hot_y >= height)
            {
                return Err(DecodeError::Invalid("cursor shape"));
            }
            Message::CursorShape {
                serial,
                width,
                height,
                hot_x,
                hot_y,
                bgra,
            }
        }
        id::CURSOR_POSITION => Message::CursorPosition {
            x: r.u16()?,
            y: r.u16()?,
        },
        id::POINTER_MOVE => Message::Input(InputEvent::PointerMove {
            x: r.u16()?,
            y: r.u16()?,
        }),
        id::POINTER_BUTTON => Message::Input(InputEvent::PointerButton {
            button: Button(r.u8()?),
            down: r.bool()?,
        }),
        id::WHEEL => Message::Input(InputEvent::Wheel {
            dx: r.i16()?,
            dy: r.i16()?,
        }),
        id::KEY => Message::Input(InputEvent::Key {
            keysym: r.u32()?,
            down: r.bool()?,
        }),
        id::TEXT => Message::Input(InputEvent::Text(r.string()?)),
        id::FILE_OFFER => {
            let id = r.u32()?;
            let name = r.string()?;
            let size = r.u64()?;
            let mut sha256 = [0u8; 32];
            for b in &mut sha256 {
                *b = r.u8()?;
            }
            Message::FileOffer {
                id,
                name,
                size,
                sha256,
            }
        }
        id::FILE_ACCEPT => Message::FileAccept {
            id: r.u32()?,
            offset: r.u64()?,
        },
        id::FILE_CHUNK => Message::FileChunk {
            id: r.u32()?,
            offset: r.u64()?,
            data: r.bytes()?.to_vec(),
        },
        id::FILE_COMPLETE => Message::FileComplete { id: r.u32()? },
        id::FILE_FAILED => Message::FileFailed {
            id: r.u32()?,
            reason: r.string()?,
        },
        id::FILE_FETCH => Message::FileFetch {
            id: r.u32()?,
            path: r.string()?,
        },
        id::LIST_DIR => Message::ListDir {
            id: r.u32()?,
            path: r.string()?,
        },
        id::DIR_LISTING => {
            let id = r.u32()?;
            let count = r.u32()? as usize;
            // Each entry needs at least 13 bytes.
            if count > r.remaining() / 13 {
                return Err(DecodeError::Truncated);
            }
            let mut entries = Vec::with_capacity(count);
            for _ in 0..count {
                entries.push(crate::files::DirEntry {
                    name: r.string()?,
                    is_dir: r.bool()?,
                    size: r.u64()?,
                });
            }
            Message::DirListing { id, entries }
        }
        id::CLIPBOARD => {
            use crate::clipboard::{CHUNK, ClipChunk, ClipFormat, MAX_CLIP};
            let chunk = ClipChunk {
                serial: r.u32()?,
                format: ClipFormat::from_wire(r.u8()?),
                total: r.u32()?,
                offset: r.u32()?,
                data: r.bytes()?.to_vec(),
            };
            let end = u64::from(chunk.offset) + chunk.data.len() as u64;
            if chunk.total > MAX_CLIP || chunk.data.len() > CHUNK || end > u64::from(chunk.total) {
                return Err(DecodeError::Invalid("clipboard chunk"));
            }
            Message::Clipboard(chunk)
        }
        other => {
            let payload = r.bytes_rest();
            Message::Unknown { id: other, payload }
        }
    })
}

impl Reader<'_> {
    fn bytes_rest(&mut self) -> Vec<u8> {
        let n = self.remaining();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            // remaining() bytes are there, so u8() cannot fail here.
            if let Ok(b) = self.u8() {
                out.push(b);
            }
        }
        out
    }
}
