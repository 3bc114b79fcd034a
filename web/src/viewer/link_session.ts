// One link's session with the customer's agent, as protocol/src/viewer.rs runs it for the
// native viewer: Hello first, Welcome back with our rights; pings both ways every 5 s and the
// link given up after 20 s of silence; frames handed to the decoding worker; input only on the
// input channel, so it never waits behind frames. The shared clipboard's chunks are taken from
// any channel (the agent uses `files`) and ours go on `input`, ahead of the keys that paste.
//
// The page bounds what waits for the worker: past MAX_QUEUED bytes it stops handing frames
// over, and once the worker has caught up it asks the agent for a fresh picture. A slow tab
// thus costs itself a keyframe, never unbounded memory; the agent keeps a queue per viewer,
// so it never slows the others either.

import {
  WireError,
  decodeMessage,
  ERROR_CODE,
  ID,
  encodeControlRequest,
  encodeEnd,
  encodeError,
  encodeHello,
  encodeInput,
  encodePing,
  encodePong,
  encodeRefreshRequest,
  type InputEvent,
} from "./frames";
import { CLIPBOARD_ID, ClipAssembler, decodeClipChunk, encodeClipChunks, type Clip } from "./clipboard_wire";
import type { DirEntry } from "./files_wire";
import type { ChannelName, Link } from "./link";
import type { CursorShape } from "./screen_input";
import { Transfers, type TransferInfo } from "./transfers";
import type { FromWorker } from "./worker_protocol";

const PING_INTERVAL_MS = 5000;
const IDLE_TIMEOUT_MS = 20000;
/** Frame bytes that may wait for the worker before the page drops to a keyframe. */
const MAX_QUEUED = 32 * 1024 * 1024;
/** Below this, a page that dropped frames asks for the keyframe. */
const RESUME_BELOW = 4 * 1024 * 1024;
/**
 * Clip bytes the input channel may hold unsent before the next chunk waits: a clip of several
 * MB must not overflow the link's buffer (chunks would be dropped), and a key pressed meanwhile
 * stays behind at most this much.
 */
const CLIP_IN_FLIGHT = 256 * 1024;

export interface SessionEvents {
  welcome(rights: number): void;
  rights(rights: number): void;
  applied(width: number, height: number): void;
  cursorShape(shape: CursorShape): void;
  cursorPosition(x: number, y: number): void;
  refused(text: string): void;
  ended(reason: string): void;
  rebooting(): void;
  /** Nothing heard for IDLE_TIMEOUT_MS: the link is closed. */
  lost(why: string): void;
  /** File transfers changed. */
  transfers(list: readonly TransferInfo[]): void;
  /** A folder of the customer's shared folder, as asked. */
  listing(path: string, entries: readonly DirEntry[]): void;
  /** The customer's clipboard arrived whole (the agent sends it only with the CLIPBOARD right). */
  clipboard(clip: Clip): void;
  /** The customer's clipboard did not arrive whole: why, for a person. */
  clipboardFailed(why: string): void;
}

export class LinkSession {
  private lastHeard = performance.now();
  private nonce = 0n;
  private readonly timer: ReturnType<typeof setInterval>;
  private queued = 0;
  /**
   * Frames are being dropped (the worker is too far behind): "dropping" until it caught up,
   * then "boundary" until the end of the update in progress, so the worker never gets the
   * tail of an update whose head it never saw.
   */
  private dropping: "no" | "dropping" | "boundary" = "no";
  /** Tags this link's frames: replies about an earlier link's frames are not ours. */
  private static nextTag = 1;
  private readonly tag = LinkSession.nextTag++;
  private welcomed = false;
  private stopped = false;
  private readonly onWorker = (e: MessageEvent<FromWorker>): void => this.fromWorker(e.data);
  /** Files on this link's `files` channel. */
  readonly transfers: Transfers;
  private readonly clips = new ClipAssembler();
  /** Serial of the last clip we sent (a new copy takes the next, wrapping as the Rust u32). */
  private clipSerial = 0;
  /** Bumped by every clip sent: an older clip still being sent stops (the newest copy wins). */
  private clipSends = 0;

  constructor(
    private readonly link: Link,
    attendee: number,
    private readonly worker: Worker,
    private readonly events: SessionEvents,
  ) {
    worker.addEventListener("message", this.onWorker);
    this.transfers = new Transfers((bytes) => link.send("files", bytes), () => link.buffered("files"), {
      changed: (list) => events.transfers(list),
      listing: (path, entries) => events.listing(path, entries),
    });
    this.link.send("control", encodeHello(attendee));
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** One message off the link. */
  handle(channel: ChannelName, data: ArrayBuffer): void {
    if (this.stopped) return;
    this.lastHeard = performance.now();
    if (data.byteLength >= 2 && new DataView(data).getUint16(0, true) === CLIPBOARD_ID) {
      this.clipChunk(new Uint8Array(data));
      return;
    }
    if (channel === "frames") {
      this.frame(data);
      return;
    }
    if (channel === "files") {
      this.transfers.handle(new Uint8Array(data));
      return;
    }
    let msg;
    try {
      msg = decodeMessage(new Uint8Array(data));
    } catch (e) {
      // Answered, not fatal, as the native viewer does: the agent logs it and goes on.
      const why = e instanceof WireError ? (e as Error).message : String(e);
      this.link.send("control", encodeError(ERROR_CODE.MALFORMED, `malformed message: ${why}`));
      return;
    }
    switch (msg.kind) {
      case "welcome":
        this.welcomed = true;
        this.events.welcome(msg.rights);
        break;
      case "rights_changed":
        this.events.rights(msg.rights);
        break;
      case "ping":
        this.link.send("control", encodePong(msg.nonce));
        break;
      case "pong":
        break;
      case "error":
        if (msg.code === ERROR_CODE.VERSION_MISMATCH) {
          this.events.ended(`the customer's computer speaks another version of Tandem (${msg.text})`);
        } else {
          this.events.refused(msg.text);
        }
        break;
      case "end":
        this.events.ended(msg.reason);
        break;
      case "rebooting":
        this.events.rebooting();
        break;
      case "cursor_shape":
        this.events.cursorShape(msg);
        break;
      case "cursor_position":
        this.events.cursorPosition(msg.x, msg.y);
        break;
      case "frame_update":
        // Frames belong on their channel; handled there all the same.
        this.frame(data);
        break;
      case "unknown":
        // A newer agent's message: say so (as the native viewer does) and carry on.
        this.link.send("control", encodeError(ERROR_CODE.UNKNOWN_MESSAGE, `unknown message ${msg.id}`));
        break;
      default:
        break;
    }
  }

  private clipChunk(frame: Uint8Array): void {
    let clip: Clip | null;
    try {
      const chunk = decodeClipChunk(frame);
      if (chunk === null) return;
      clip = this.clips.handle(chunk);
    } catch (e) {
      // As the native viewer: the clip is lost, the session goes on (the next copy comes whole).
      this.events.clipboardFailed(e instanceof WireError ? e.message : String(e));
      return;
    }
    if (clip !== null) this.events.clipboard(clip);
  }

  private frame(data: ArrayBuffer): void {
    // Bytes received for the screen, for the benchmark beside the native viewer's.
    document.body.dataset.frameBytes = String(Number(document.body.dataset.frameBytes ?? "0") + data.byteLength);
    if (this.dropping === "no" && this.queued + data.byteLength > MAX_QUEUED) this.dropping = "dropping";
    if (this.dropping !== "no") {
      if (this.dropping === "boundary" && lastChunk(data)) {
        // The next chunk starts an update; the keyframe asked for will repaint everything.
        this.dropping = "no";
        this.link.send("control", encodeRefreshRequest());
      }
      return;
    }
    this.queued += data.byteLength;
    this.worker.postMessage({ type: "frame", data, tag: this.tag }, [data]);
  }

  private fromWorker(msg: FromWorker): void {
    if (this.stopped || (msg.type !== "pixels" && msg.tag !== this.tag)) return;
    switch (msg.type) {
      case "done":
        this.queued = Math.max(0, this.queued - msg.bytes);
        if (this.dropping === "dropping" && this.queued < RESUME_BELOW) this.dropping = "boundary";
        break;
      case "applied":
        this.events.applied(msg.width, msg.height);
        break;
      case "failed":
        if (msg.fatal) {
          this.events.ended(msg.message);
        } else if (msg.keyframe) {
          this.link.send("control", encodeRefreshRequest());
        }
        break;
      case "pixels":
        break;
    }
  }

  sendInput(ev: InputEvent): void {
    if (!this.stopped && this.welcomed) this.link.send("input", encodeInput(ev));
  }

  /**
   * Puts `clip` on the customer's clipboard: its chunks on the input channel, so a paste key
   * sent after this resolves finds it there. Resolves true once every chunk is queued; false
   * when the link went, or a newer clip replaced this one. Throws WireError past MAX_CLIP. The
   * agent checks the CLIPBOARD right; the caller checks it first, to say so kindly.
   */
  async sendClipboard(clip: Clip): Promise<boolean> {
    if (this.stopped || !this.welcomed) return false;
    this.clipSerial = (this.clipSerial + 1) >>> 0;
    const chunks = encodeClipChunks(this.clipSerial, clip);
    const mine = ++this.clipSends;
    for (const chunk of chunks) {
      while (!this.stopped && mine === this.clipSends && this.link.buffered("input") > CLIP_IN_FLIGHT) {
        await new Promise((r) => setTimeout(r, 2));
      }
      if (this.stopped || mine !== this.clipSends) return false;
      if (!this.link.send("input", chunk)) return false;
    }
    return true;
  }

  /** Asks the customer, through the agent, to give control back. */
  requestControl(): void {
    if (!this.stopped && this.welcomed) this.link.send("control", encodeControlRequest());
  }

  /** Says goodbye to the agent (leaving on purpose). */
  leave(reason: string): void {
    if (!this.stopped) this.link.send("control", encodeEnd(reason));
  }

  stop(): void {
    if (!this.stopped) this.transfers.stop();
    this.stopped = true;
    this.clips.reset();
    clearInterval(this.timer);
    this.worker.removeEventListener("message", this.onWorker);
  }

  private tick(): void {
    const now = performance.now();
    if (now - this.lastHeard > IDLE_TIMEOUT_MS) {
      this.stop();
      this.link.close();
      this.events.lost("no answer for 20 seconds");
      return;
    }
    if (Math.floor(now / PING_INTERVAL_MS) !== Math.floor((now - 1000) / PING_INTERVAL_MS)) {
      this.nonce += 1n;
      this.link.send("control", encodePing(this.nonce));
    }
  }
}

/** Whether a frames-channel message is the last chunk of its update (read from its header:
 * id u16, len u32, then seq u32, width u16, height u16, last u8). */
function lastChunk(data: ArrayBuffer): boolean {
  if (data.byteLength < 15) return false;
  const v = new DataView(data);
  return v.getUint16(0, true) === ID.FRAME_UPDATE && v.getUint8(14) === 1;
}
