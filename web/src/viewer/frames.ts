// Tandem's binary data-channel messages, as protocol/src/wire.rs writes and
// wire_decode.rs reads them: `id: u16 LE | len: u32 LE | payload[len]`, integers little-endian,
// strings and byte strings prefixed by a u32 length. Pure (no DOM): the decoding worker, the
// page and the tests share it. Bytes come from the customer's agent, which may be broken or
// hostile, so decoding checks exactly what the Rust decoder checks and throws WireError
// rather than hand on a half-read value. The golden messages in test/vectors/messages.bin,
// written by protocol/tests/web_vectors.rs, pin both directions byte for byte.

/** Largest payload accepted (`MAX_PAYLOAD`): frame updates are chunked far below it. */
export const MAX_PAYLOAD = 1024 * 1024;
/** Bytes of frame header before the payload. */
export const HEADER_LEN = 6;
/** Largest cursor side accepted (`MAX_CURSOR_SIDE`). */
export const MAX_CURSOR_SIDE = 256;
/** Protocol versions this viewer speaks (`VERSION_MIN`, `VERSION_MAX`). */
export const VERSION_MIN = 1;
export const VERSION_MAX = 1;
/** Rights bits this version knows; the Rust decoder drops the others (`Rights::from_wire`). */
const KNOWN_RIGHTS = 0b11_1111;

/** Message ids; never reused or renumbered (`wire::id`). */
export const ID = {
  HELLO: 1,
  WELCOME: 2,
  RIGHTS_CHANGED: 3,
  PING: 4,
  PONG: 5,
  ERROR: 6,
  END: 7,
  REFRESH_REQUEST: 8,
  REBOOT_REQUEST: 9,
  REBOOTING: 10,
  CONTROL_REQUEST: 11,
  FRAME_UPDATE: 16,
  CURSOR_SHAPE: 17,
  CURSOR_POSITION: 18,
  POINTER_MOVE: 32,
  POINTER_BUTTON: 33,
  WHEEL: 34,
  KEY: 35,
  TEXT: 36,
} as const;

/** One compressed rectangle of the screen; `data` is a view into the received frame. */
export interface EncodedTile {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
  data: Uint8Array;
}

/** One chunk of a screen update; the chunk with `last` completes it (see updates.ts). */
export interface FrameUpdate {
  seq: number;
  width: number;
  height: number;
  last: boolean;
  tiles: EncodedTile[];
}

/** Keyboard and mouse, in the customer's screen pixels; keys are X11 keysyms. */
export type InputEvent =
  | { type: "pointer_move"; x: number; y: number }
  | { type: "pointer_button"; button: number; down: boolean }
  | { type: "wheel"; dx: number; dy: number }
  | { type: "key"; keysym: number; down: boolean }
  | { type: "text"; text: string };

export type DataMessage =
  | { kind: "hello"; versionMin: number; versionMax: number; attendee: number }
  | { kind: "welcome"; version: number; rights: number }
  | { kind: "rights_changed"; rights: number }
  | { kind: "ping"; nonce: bigint }
  | { kind: "pong"; nonce: bigint }
  | { kind: "error"; code: number; text: string }
  | { kind: "end"; reason: string }
  | { kind: "refresh_request" }
  | { kind: "reboot_request" }
  | { kind: "rebooting" }
  | { kind: "frame_update"; update: FrameUpdate }
  | { kind: "cursor_shape"; serial: number; width: number; height: number; hotX: number; hotY: number; bgra: Uint8Array }
  | { kind: "cursor_position"; x: number; y: number }
  /** Viewer → agent only: a viewer receiving one answers "not allowed", as the Rust viewer. */
  | { kind: "input"; event: InputEvent }
  /**
   * An id this decoder does not take, file transfers (64–71) and the clipboard (80, see
   * clipboard_wire.ts) included; `payload` is a view.
   */
  | { kind: "unknown"; id: number; payload: Uint8Array };

/** Error codes of `Message::Error` (`ErrorCode`); other numbers come from newer peers. */
export const ERROR_CODE = { UNKNOWN_MESSAGE: 1, MALFORMED: 2, NOT_ALLOWED: 3, VERSION_MISMATCH: 4 } as const;

/** Bytes that are not a message, or a value that cannot be sent. */
export class WireError extends Error {
  override name = "WireError";
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const toUtf8 = new TextEncoder();

/** Bounds-checked little-endian reads over a payload (the Rust `Reader`). */
export class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.at;
  }
  private take(n: number): number {
    if (this.remaining < n) throw new WireError("message truncated");
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  i16(): number {
    return this.view.getInt16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new WireError("invalid boolean");
    return v === 1;
  }
  /** Length-prefixed bytes, as a view (no copy). */
  bytesView(): Uint8Array {
    const len = this.u32();
    const at = this.take(len);
    return this.bytes.subarray(at, at + len);
  }
  string(): string {
    try {
      return utf8.decode(this.bytesView());
    } catch (e) {
      if (e instanceof WireError) throw e;
      throw new WireError("invalid utf-8 text");
    }
  }
  /** `n` bytes as they are (fixed-size fields), as a view. */
  fixed(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }
  rest(): Uint8Array {
    return this.bytes.subarray(this.take(this.remaining));
  }
}

/**
 * Decodes exactly one frame (a data channel delivers whole messages). Throws WireError when
 * it is truncated, longer than its header says, announces more than MAX_PAYLOAD, or holds a
 * value the Rust decoder refuses (a boolean other than 0/1, bad UTF-8, an impossible cursor).
 * Byte strings in the result (tile data, cursor pixels) are views into `frame`.
 */
export function decodeMessage(frame: Uint8Array): DataMessage {
  if (frame.length < HEADER_LEN) throw new WireError("message truncated");
  const header = new DataView(frame.buffer, frame.byteOffset, HEADER_LEN);
  const id = header.getUint16(0, true);
  const len = header.getUint32(2, true);
  if (len > MAX_PAYLOAD) throw new WireError(`message of ${len} bytes exceeds the limit`);
  if (frame.length < HEADER_LEN + len) throw new WireError("message truncated");
  if (frame.length > HEADER_LEN + len) throw new WireError("trailing bytes after message");
  const r = new Reader(frame.subarray(HEADER_LEN));
  const msg = decodePayload(id, r);
  if (msg.kind !== "unknown" && r.remaining !== 0) throw new WireError("trailing bytes after message");
  return msg;
}

function decodePayload(id: number, r: Reader): DataMessage {
  switch (id) {
    case ID.HELLO:
      return { kind: "hello", versionMin: r.u16(), versionMax: r.u16(), attendee: r.u32() };
    case ID.WELCOME:
      return { kind: "welcome", version: r.u16(), rights: r.u32() & KNOWN_RIGHTS };
    case ID.RIGHTS_CHANGED:
      return { kind: "rights_changed", rights: r.u32() & KNOWN_RIGHTS };
    case ID.PING:
      return { kind: "ping", nonce: r.u64() };
    case ID.PONG:
      return { kind: "pong", nonce: r.u64() };
    case ID.ERROR:
      return { kind: "error", code: r.u16(), text: r.string() };
    case ID.END:
      return { kind: "end", reason: r.string() };
    case ID.REFRESH_REQUEST:
      return { kind: "refresh_request" };
    case ID.REBOOT_REQUEST:
      return { kind: "reboot_request" };
    case ID.REBOOTING:
      return { kind: "rebooting" };
    case ID.FRAME_UPDATE:
      return { kind: "frame_update", update: decodeFrameUpdate(r) };
    case ID.CURSOR_SHAPE: {
      const serial = r.u32();
      const width = r.u16();
      const height = r.u16();
      const hotX = r.u16();
      const hotY = r.u16();
      const bgra = r.bytesView();
      if (
        width > MAX_CURSOR_SIDE ||
        height > MAX_CURSOR_SIDE ||
        bgra.length !== width * height * 4 ||
        (width > 0 && hotX >= width) ||
        (height > 0 && hotY >= height)
      ) {
        throw new WireError("invalid cursor shape");
      }
      return { kind: "cursor_shape", serial, width, height, hotX, hotY, bgra };
    }
    case ID.CURSOR_POSITION:
      return { kind: "cursor_position", x: r.u16(), y: r.u16() };
    case ID.POINTER_MOVE:
      return { kind: "input", event: { type: "pointer_move", x: r.u16(), y: r.u16() } };
    case ID.POINTER_BUTTON:
      return { kind: "input", event: { type: "pointer_button", button: r.u8(), down: r.bool() } };
    case ID.WHEEL:
      return { kind: "input", event: { type: "wheel", dx: r.i16(), dy: r.i16() } };
    case ID.KEY:
      return { kind: "input", event: { type: "key", keysym: r.u32(), down: r.bool() } };
    case ID.TEXT:
      return { kind: "input", event: { type: "text", text: r.string() } };
    default:
      return { kind: "unknown", id, payload: r.rest() };
  }
}

function decodeFrameUpdate(r: Reader): FrameUpdate {
  const seq = r.u32();
  const width = r.u16();
  const height = r.u16();
  const last = r.bool();
  const count = r.u32();
  // Each tile needs at least 13 bytes, so a larger count is a lie (and must not size an array).
  if (count > Math.floor(r.remaining / 13)) throw new WireError("message truncated");
  const tiles: EncodedTile[] = [];
  for (let i = 0; i < count; i++) {
    tiles.push({ x: r.u16(), y: r.u16(), w: r.u16(), h: r.u16(), encoding: r.u8(), data: r.bytesView() });
  }
  return { seq, width, height, last, tiles };
}

/** Appends primitives; the frame header is written by `finish`. */
export class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private len = HEADER_LEN;
  constructor(private readonly id: number) {}
  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }
  // Each value is checked, then room is made, then the (possibly new) view written: growing
  // replaces `view`, so it must be read after `room`.
  u8(v: number, what: string): this {
    const n = checked(v, 0, 0xff, what);
    const at = this.room(1);
    this.view.setUint8(at, n);
    return this;
  }
  u16(v: number, what: string): this {
    const n = checked(v, 0, 0xffff, what);
    const at = this.room(2);
    this.view.setUint16(at, n, true);
    return this;
  }
  i16(v: number, what: string): this {
    const n = checked(v, -0x8000, 0x7fff, what);
    const at = this.room(2);
    this.view.setInt16(at, n, true);
    return this;
  }
  u32(v: number, what: string): this {
    const n = checked(v, 0, 0xffff_ffff, what);
    const at = this.room(4);
    this.view.setUint32(at, n, true);
    return this;
  }
  u64(v: bigint, what: string): this {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new WireError(`${what} out of range`);
    const at = this.room(8);
    this.view.setBigUint64(at, v, true);
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0, "boolean");
  }
  str(v: string): this {
    const bytes = toUtf8.encode(v);
    this.u32(bytes.length, "text length");
    const at = this.room(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }
  /** Length-prefixed (u32) bytes. */
  bytes(v: Uint8Array): this {
    this.u32(v.length, "byte string length");
    return this.raw(v);
  }
  /** Bytes as they are (fixed-size fields). */
  raw(v: Uint8Array): this {
    const at = this.room(v.length);
    this.buf.set(v, at);
    return this;
  }
  finish(): Uint8Array {
    const payload = this.len - HEADER_LEN;
    // The agent would refuse it whole; better to say so here than to break the link.
    if (payload > MAX_PAYLOAD) throw new WireError(`message of ${payload} bytes exceeds the limit`);
    this.view.setUint16(0, this.id, true);
    this.view.setUint32(2, payload, true);
    return this.buf.slice(0, this.len);
  }
}

/** Values that do not fit their field are a caller's bug: refused, never wrapped. */
function checked(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new WireError(`${what} out of range: ${v}`);
  return v;
}

/** The viewer's first message: the versions it speaks and the attendee id the portal gave it. */
export function encodeHello(attendee: number): Uint8Array {
  return new Writer(ID.HELLO).u16(VERSION_MIN, "version").u16(VERSION_MAX, "version").u32(attendee, "attendee").finish();
}

export function encodePing(nonce: bigint): Uint8Array {
  return new Writer(ID.PING).u64(nonce, "nonce").finish();
}

export function encodePong(nonce: bigint): Uint8Array {
  return new Writer(ID.PONG).u64(nonce, "nonce").finish();
}

export function encodeRefreshRequest(): Uint8Array {
  return new Writer(ID.REFRESH_REQUEST).finish();
}

export function encodeRebootRequest(): Uint8Array {
  return new Writer(ID.REBOOT_REQUEST).finish();
}

/** Asks the customer, through the agent, to give control back. */
export function encodeControlRequest(): Uint8Array {
  return new Writer(ID.CONTROL_REQUEST).finish();
}

export function encodeEnd(reason: string): Uint8Array {
  return new Writer(ID.END).str(reason).finish();
}

export function encodeError(code: number, text: string): Uint8Array {
  return new Writer(ID.ERROR).u16(code, "error code").str(text).finish();
}

/** One input event. Throws WireError for values that do not fit the wire (e.g. x > 65535). */
export function encodeInput(ev: InputEvent): Uint8Array {
  switch (ev.type) {
    case "pointer_move":
      return new Writer(ID.POINTER_MOVE).u16(ev.x, "pointer x").u16(ev.y, "pointer y").finish();
    case "pointer_button":
      return new Writer(ID.POINTER_BUTTON).u8(ev.button, "button").bool(ev.down).finish();
    case "wheel":
      return new Writer(ID.WHEEL).i16(ev.dx, "wheel dx").i16(ev.dy, "wheel dy").finish();
    case "key":
      return new Writer(ID.KEY).u32(ev.keysym, "keysym").bool(ev.down).finish();
    case "text":
      return new Writer(ID.TEXT).str(ev.text).finish();
  }
}
