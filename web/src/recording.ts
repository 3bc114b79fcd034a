// Session recordings, without the DOM: the file the portal serves (`parseRecording`), and the
// player that replays it (`Player`: where playback is, how fast, and which records are due).
// console_replay.ts shows it. The file:
//
//   8 bytes magic "TNDMREC1", then records to the end, each
//   u32 LE ms (since the recording started; non-decreasing) | u8 kind | u32 LE len | payload
//
// Kinds 0, 1 and 2 are messages of the link's control, input and frames channels exactly as a
// live viewer gets them; 16 is a chat line, UTF-8 JSON {"from", "text", "reps_only"}; other
// kinds come from a newer portal and are skipped. A file may end mid-record (the portal was
// stopped while writing): everything whole before that is played, and the player says so.
// Payloads are views into the file, never copies, and no length from the file sizes anything
// before it was checked against what is left.

import { formatBytes, formatDuration } from "./format";
import type { RecordingSummary } from "./wire";

/** The first 8 bytes of every recording: ASCII "TNDMREC1". */
export const MAGIC = "TNDMREC1";
/** Bytes before each record's payload: ms u32, kind u8, len u32. */
export const RECORD_HEADER = 9;

/** Record kinds of the file. */
export const KIND = { CONTROL: 0, INPUT: 1, FRAMES: 2, CHAT: 16, LINK: 17 } as const;

/** A chat line of the session, at `ms` into the recording. */
export interface ChatRecord {
  readonly ms: number;
  readonly from: string;
  readonly text: string;
  /** Sent to representatives only (the customer did not see it). */
  readonly repsOnly: boolean;
}

/** One record to replay, in file order; `data` is a view into the file. */
export type ReplayRecord =
  | { readonly ms: number; readonly kind: "control" | "input" | "frames"; readonly data: Uint8Array }
  | { readonly ms: number; readonly kind: "chat"; readonly line: ChatRecord }
  /** A new upload starts here (the customer's app came back): the picture starts afresh. */
  | { readonly ms: number; readonly kind: "link" };

/** A parsed recording. */
export interface Recording {
  /** What to replay, in order (chat lines included). */
  readonly records: readonly ReplayRecord[];
  /** The chat lines alone. */
  readonly chat: readonly ChatRecord[];
  /** The last whole record's time (0 for a recording without records). */
  readonly duration_ms: number;
  /** The file ended inside a record: what came before it is all there is. */
  readonly truncated: boolean;
  /** Records skipped: kinds of a newer portal, and chat lines that were not such JSON. */
  readonly skipped: number;
}

const CHANNEL_KINDS: Readonly<Record<number, "control" | "input" | "frames">> = {
  [KIND.CONTROL]: "control",
  [KIND.INPUT]: "input",
  [KIND.FRAMES]: "frames",
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A chat record's payload, or null when it is not the JSON a chat line is. */
export function chatLine(ms: number, payload: Uint8Array): ChatRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { from, text, reps_only } = value as Record<string, unknown>;
  if (typeof from !== "string" || typeof text !== "string" || typeof reps_only !== "boolean") return null;
  return { ms, from, text, repsOnly: reps_only };
}

/**
 * Parses a recording file, or says why it is none (bad magic). A time earlier than the one
 * before it counts as that one (times never go back).
 */
export function parseRecording(bytes: Uint8Array): Recording | string {
  if (bytes.length < MAGIC.length || [...MAGIC].some((c, i) => bytes[i] !== c.charCodeAt(0))) {
    return "This file is not a Tandem session recording.";
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: ReplayRecord[] = [];
  const chat: ChatRecord[] = [];
  let at = MAGIC.length;
  let last = 0;
  let truncated = false;
  let skipped = 0;
  while (at < bytes.length) {
    if (bytes.length - at < RECORD_HEADER) {
      truncated = true;
      break;
    }
    const ms = Math.max(last, view.getUint32(at, true));
    const kind = view.getUint8(at + 4);
    const len = view.getUint32(at + 5, true);
    at += RECORD_HEADER;
    // Longer than what is left: the file ends inside this record.
    if (len > bytes.length - at) {
      truncated = true;
      break;
    }
    const payload = bytes.subarray(at, at + len);
    at += len;
    last = ms;
    const channel = CHANNEL_KINDS[kind];
    if (channel !== undefined) {
      records.push({ ms, kind: channel, data: payload });
    } else if (kind === KIND.CHAT) {
      const line = chatLine(ms, payload);
      if (line === null) {
        skipped += 1;
        continue;
      }
      chat.push(line);
      records.push({ ms, kind: "chat", line });
    } else if (kind === KIND.LINK) {
      records.push({ ms, kind: "link" });
    } else {
      skipped += 1;
    }
  }
  return { records, chat, duration_ms: last, truncated, skipped };
}

/** Playback speeds. */
export type Speed = 1 | 2 | 4 | 8;
export const SPEEDS: readonly Speed[] = [1, 2, 4, 8];

/** A speed select's value as a speed; null for anything else. */
export function speedOf(value: string): Speed | null {
  return SPEEDS.find((s) => String(s) === value) ?? null;
}

/** A speed's label: "2×". */
export function speedLabel(speed: Speed): string {
  return `${speed}×`;
}

/** Where playback is. */
export interface Player {
  /** Milliseconds into the recording. */
  readonly position: number;
  readonly speed: Speed;
  readonly playing: boolean;
  /** The index of the next record to hand on. */
  readonly next: number;
  /** How long the recording is (ms). */
  readonly duration: number;
}

/** At the start, paused, at 1×. */
export function initialPlayer(duration_ms: number): Player {
  return { position: 0, speed: 1, playing: false, next: 0, duration: Math.max(0, duration_ms) };
}

/** The records from `next` on that are due at `position` (ms ≤ position), and the index after them. */
export function dueRecords(
  records: readonly ReplayRecord[],
  next: number,
  position: number,
): { due: ReplayRecord[]; next: number } {
  let end = Math.max(0, next);
  while (end < records.length && (records[end]?.ms ?? Infinity) <= position) end += 1;
  return { due: records.slice(Math.max(0, next), end), next: end };
}

/** Whether playback reached the end: the last record handed on and the position at the end. */
export function atEnd(p: Player, records: readonly ReplayRecord[]): boolean {
  return p.next >= records.length && p.position >= p.duration;
}

/**
 * Playback `elapsedMs` of real time later: the position moves on by elapsed × speed (to the
 * end at most), and the records now due are handed back. At the end playback stops.
 */
export function advance(p: Player, records: readonly ReplayRecord[], elapsedMs: number): [Player, ReplayRecord[]] {
  if (!p.playing) return [p, []];
  const position = Math.min(p.duration, p.position + Math.max(0, elapsedMs) * p.speed);
  const { due, next } = dueRecords(records, p.next, position);
  const moved: Player = { ...p, position, next };
  return [atEnd(moved, records) ? { ...moved, playing: false } : moved, due];
}

export function play(p: Player): Player {
  return { ...p, playing: true };
}

export function pause(p: Player): Player {
  return { ...p, playing: false };
}

/** From the start again, playing (the picture and the chat start over too). */
export function restart(p: Player): Player {
  return { ...p, position: 0, next: 0, playing: true };
}

export function withSpeed(p: Player, speed: Speed): Player {
  return { ...p, speed };
}

/** The time shown beside the controls: "0:42 / 3:10". */
export function timeText(position: number, duration: number): string {
  return `${formatDuration(position / 1000)} / ${formatDuration(duration / 1000)}`;
}

/** The play button's words. */
export function playLabel(p: Player, records: readonly ReplayRecord[]): string {
  if (p.playing) return "Pause";
  return atEnd(p, records) ? "Play again" : "Play";
}

/** The reports page's button for a recorded session: "Watch recording (3:10, 1.4 MB)". */
export function watchLabel(r: RecordingSummary): string {
  return `Watch recording (${formatDuration(r.duration_ms / 1000)}, ${formatBytes(r.bytes)})`;
}

/**
 * The address to fetch a recording from: only a path of the page's own origin (the portal
 * sends `/recordings/…`); null for anything else.
 */
export function recordingAddress(url: string, origin: string): string | null {
  if (!url.startsWith("/") || url.startsWith("//") || url.startsWith("/\\")) return null;
  try {
    const resolved = new URL(url, origin);
    return resolved.origin === new URL(origin).origin ? resolved.href : null;
  } catch {
    return null;
  }
}
