// The console's state for replaying recordings, without the DOM: the reports page asks for a
// session's recording (a manage request), the portal answers with a one-use address, and the
// replay view (console_replay.ts) opens on it in place of the report. An answer that comes
// after the page closed is dropped: its address expires unused.

import type { ConsoleState } from "./console";
import { manage } from "./policy";
import type { ClientMessage } from "./wire";

/** The recording being replayed: the session and its one-use address (never shown). */
export interface ReplayOpen {
  readonly session: number;
  readonly url: string;
}

/** Asks for the address of `session`'s recording. */
export function recordingRequest(session: number): ClientMessage {
  return manage({ op: "recording", session });
}

/** The recording of `session` was asked for: the page waits for its answer. */
export function recordingAsked(s: ConsoleState, session: number): ConsoleState {
  if (!s.reporting) return s;
  return { ...s, recordingPending: session, reportError: null };
}

/** The portal's answer: the replay opens (on the reports page only). */
export function recordingAnswer(s: ConsoleState, session: number, url: string): ConsoleState {
  if (!s.reporting) return { ...s, recordingPending: null };
  return { ...s, recordingPending: null, replay: { session, url }, reportError: null };
}

/** A refusal while a recording was asked for: the reports page says why. */
export function recordingRefused(s: ConsoleState, message: string): ConsoleState {
  return { ...s, recordingPending: null, reportError: message };
}

/** Back to the report. */
export function closeReplay(s: ConsoleState): ConsoleState {
  return { ...s, replay: null };
}
