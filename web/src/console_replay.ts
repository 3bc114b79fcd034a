// The reports page's replay of a session recording: the customer's screen as the session's
// viewers saw it, with its pointer, and the chat beside it, played at 1×–8×. The file comes
// from the one-use address the portal gave (replay.ts), is parsed by recording.ts, and its
// frames go to the same decoding worker the live viewer uses (viewer_worker.ts), as they are
// due; the pointer is drawn over the picture as the live viewer draws it (ScreenInput, never
// enabled: a replay sends nothing anywhere). Nothing here throws at the page: a failed
// download or a malformed file is said in the view (#replay-error).
//
// Test hook: `window.tandemReplay` (ReplayHooks) while a replay is open.

import { h, replace, setText, show } from "./h";
import { formatDuration } from "./format";
import {
  advance,
  atEnd,
  initialPlayer,
  parseRecording,
  pause,
  play,
  playLabel,
  recordingAddress,
  restart,
  speedLabel,
  speedOf,
  SPEEDS,
  timeText,
  withSpeed,
  type ChatRecord,
  type Player,
  type Recording,
  type ReplayRecord,
} from "./recording";
import type { ReplayOpen } from "./replay";
import { decodeMessage } from "./viewer/frames";
import { workerPixels } from "./viewer/worker_pixels";
import { ScreenInput } from "./viewer/screen_input";
import type { FromWorker, ToWorker } from "./viewer/worker_protocol";

/** How often playback moves on (ms). */
const TICK_MS = 30;
/** The decoding worker's frames carry this tag (one replay, one worker). */
const TAG = 0;

/** What `window.tandemReplay.status()` says. */
export interface ReplayStatus {
  loaded: boolean;
  playing: boolean;
  /** Played to the end and every frame handed to the worker handled: pixels() shows the last picture. */
  done: boolean;
  position_ms: number;
  duration_ms: number;
  /** Frames handed to the worker so far (since the last start from the beginning). */
  frames: number;
  /** Chat lines shown so far. */
  chat: number;
  error: string | null;
}

export interface ReplayHooks {
  /** Base64 RGBA of a rectangle of the picture (as the live viewer's hook), or null outside it. */
  pixels(x: number, y: number, w: number, h: number): Promise<string | null>;
  status(): ReplayStatus;
}

type HookWindow = { tandemReplay?: ReplayHooks };

/** The page's replay: shown while the state has one open; each one opened gets a Replay of its own. */
export class ReplayView {
  readonly el = h("section", { class: "card replay-card", "aria-label": "Session recording", hidden: true });
  private shown: ReplayOpen | null = null;
  private replay: Replay | null = null;

  constructor(private readonly close: () => void) {}

  render(open: ReplayOpen | null): void {
    show(this.el, open !== null);
    if (open === this.shown) return;
    this.shown = open;
    this.replay?.dispose();
    this.replay = open === null ? null : new Replay(open, this.close);
    replace(this.el, this.replay?.el ?? null);
  }
}

/** One recording being replayed: its worker, its timer and its part of the page. */
class Replay {
  readonly el: HTMLElement;
  private readonly worker = new Worker("/app/viewer_worker.js", { type: "module" });
  private readonly canvas = h("canvas", { class: "screen", testid: "replay-screen", "aria-label": "The customer's screen, recorded" });
  private readonly input: ScreenInput;
  private readonly playButton = h("button", { type: "button", class: "button", testid: "replay-play", disabled: true }, "Play");
  private readonly speed = h("select", { testid: "replay-speed", "aria-label": "Speed" },
    ...SPEEDS.map((s) => h("option", { value: String(s) }, speedLabel(s))));
  private readonly time = h("span", { class: "replay-time", testid: "replay-time", "aria-live": "off" }, "0:00 / 0:00");
  private readonly status = h("p", { class: "muted replay-status", testid: "replay-status", role: "status" }, "Loading the recording…");
  private readonly error = h("p", { class: "form-error", testid: "replay-error", role: "alert", hidden: true });
  private readonly chat = h("ol", { class: "replay-chat", testid: "replay-chat", "aria-label": "Chat" });
  private readonly noChat = h("p", { class: "muted" }, "No chat yet.");
  private readonly abort = new AbortController();
  private recording: Recording | null = null;
  private player: Player = initialPlayer(0);
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastTick = 0;
  /** Frames handed to the worker, and those it said it handled. */
  private framesPosted = 0;
  private framesHandled = 0;
  /** Frames handed on since playback last started from the beginning. */
  private framesThisRun = 0;
  private chatShown = 0;
  private failure: string | null = null;
  private disposed = false;
  private readonly hooks: ReplayHooks;

  constructor(open: ReplayOpen, close: () => void) {
    const cursor = h("canvas", { class: "remote-cursor", "aria-hidden": "true" });
    const box = h("div", { class: "screen-box", testid: "replay-box" }, this.canvas, cursor);
    this.playButton.addEventListener("click", () => this.togglePlay());
    this.speed.addEventListener("change", () => {
      const speed = speedOf(this.speed.value);
      if (speed !== null) this.player = withSpeed(this.player, speed);
    });
    this.el = h("div", { class: "replay", testid: "replay", "data-session": String(open.session) },
      h("div", { class: "pane-head" },
        h("h3", null, `Recording of session ${open.session}`),
        h("button", { type: "button", class: "secondary", testid: "replay-close", on: { click: close } }, "Back to the report")),
      this.error,
      h("div", { class: "replay-tools" }, this.playButton, h("label", { class: "replay-speed" }, "Speed ", this.speed), this.time),
      this.status,
      h("div", { class: "replay-main" },
        box,
        h("aside", { class: "replay-side", "aria-label": "Chat of the session" },
          h("h4", null, "Chat"), this.noChat, this.chat)));
    const offscreen = this.canvas.transferControlToOffscreen();
    this.post({ type: "canvas", canvas: offscreen }, [offscreen]);
    // Never enabled: it only scales the picture and draws the recorded pointer.
    this.input = new ScreenInput(this.canvas, cursor, box, () => undefined);
    this.worker.addEventListener("message", (e: MessageEvent<FromWorker>) => this.fromWorker(e.data));
    this.worker.addEventListener("error", () => this.fail("The picture could not be decoded in this browser."));
    this.hooks = this.installHooks();
    void this.load(open.url);
  }

  /** The page no longer shows it: the download, the timer and the worker stop. */
  dispose(): void {
    this.disposed = true;
    this.abort.abort();
    this.stopTimer();
    this.worker.terminate();
    const w = window as unknown as HookWindow;
    if (w.tandemReplay === this.hooks) delete w.tandemReplay;
  }

  private async load(url: string): Promise<void> {
    const address = recordingAddress(url, window.location.origin);
    if (address === null) {
      this.fail("The portal gave an address this page does not fetch.");
      return;
    }
    let bytes: ArrayBuffer;
    try {
      const response = await fetch(address, { credentials: "same-origin", cache: "no-store", signal: this.abort.signal });
      if (!response.ok) {
        this.fail(`The recording could not be downloaded (HTTP ${response.status}). Its address works once, for a minute: close this and watch again.`);
        return;
      }
      bytes = await response.arrayBuffer();
    } catch (e) {
      if (!this.disposed) this.fail(`The recording could not be downloaded: ${String(e)}`);
      return;
    }
    if (this.disposed) return;
    const parsed = parseRecording(new Uint8Array(bytes));
    if (typeof parsed === "string") {
      this.fail(parsed);
      return;
    }
    this.recording = parsed;
    this.player = play(initialPlayer(parsed.duration_ms));
    this.playButton.disabled = false;
    this.startTimer();
    this.tick();
  }

  private fail(message: string): void {
    if (this.disposed) return;
    this.failure = message;
    this.player = pause(this.player);
    this.stopTimer();
    this.playButton.disabled = true;
    this.render();
  }

  private startTimer(): void {
    this.lastTick = performance.now();
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Moves playback on by the real time since the last tick (× speed) and hands on what is due. */
  private tick(): void {
    const rec = this.recording;
    if (rec === null || this.disposed) return;
    const now = performance.now();
    const [next, due] = advance(this.player, rec.records, now - this.lastTick);
    this.lastTick = now;
    this.player = next;
    for (const record of due) this.handOn(record);
    if (!next.playing) this.stopTimer();
    this.render();
  }

  private handOn(record: ReplayRecord): void {
    switch (record.kind) {
      case "frames":
        this.frame(record.data);
        break;
      case "control":
      case "input":
        this.linkMessage(record.data);
        break;
      case "chat":
        this.showChat(record.line);
        break;
      case "link":
        // As a live viewer does on a new link: the update being put together is dropped,
        // the new upload's keyframe follows.
        this.post({ type: "reset" });
        break;
    }
  }

  /** A frames-channel message: a copy goes to the worker (the file keeps its bytes for a replay). */
  private frame(data: Uint8Array): void {
    const copy = data.slice();
    this.framesPosted += 1;
    this.framesThisRun += 1;
    this.post({ type: "frame", data: copy.buffer, tag: TAG }, [copy.buffer]);
  }

  /** A control or input message: the pointer's look and place; the rest means nothing here. */
  private linkMessage(data: Uint8Array): void {
    let msg;
    try {
      msg = decodeMessage(data);
    } catch {
      return; // As live: one malformed message is passed over.
    }
    if (msg.kind === "cursor_shape") this.input.setCursorShape(msg);
    else if (msg.kind === "cursor_position") this.input.setCursorPosition(msg.x, msg.y);
    else if (msg.kind === "frame_update") this.frame(data);
  }

  private showChat(line: ChatRecord): void {
    this.chatShown += 1;
    this.chat.appendChild(h("li", line.repsOnly ? { class: "reps-only" } : null,
      h("time", null, formatDuration(line.ms / 1000)), " ",
      h("strong", { class: "who" }, line.from), ": ",
      h("span", { class: "text" }, line.text),
      line.repsOnly ? h("span", { class: "muted" }, " (representatives only)") : null));
    this.chat.scrollTop = this.chat.scrollHeight;
  }

  private togglePlay(): void {
    const rec = this.recording;
    if (rec === null || this.failure !== null) return;
    if (this.player.playing) {
      this.player = pause(this.player);
      this.stopTimer();
    } else if (atEnd(this.player, rec.records)) {
      // From the start: the picture is rebuilt from the recording's first keyframe.
      this.player = restart(this.player);
      this.post({ type: "reset" });
      replace(this.chat);
      this.chatShown = 0;
      this.framesThisRun = 0;
      this.input.setCursorPosition(-1000, -1000);
      this.startTimer();
      this.tick();
    } else {
      this.player = play(this.player);
      this.startTimer();
    }
    this.render();
  }

  private fromWorker(msg: FromWorker): void {
    if (msg.type === "pixels" || msg.tag !== TAG) return;
    switch (msg.type) {
      case "done":
        this.framesHandled += 1;
        if (this.framesHandled === this.framesPosted) this.render();
        break;
      case "applied":
        this.input.setScreen(msg.width, msg.height);
        break;
      case "failed":
        // A recording cannot ask for a keyframe: the picture mends with the next one.
        if (msg.fatal) this.fail(`The recording's picture cannot be shown: ${msg.message}`);
        break;
    }
  }

  private render(): void {
    const rec = this.recording;
    const p = this.player;
    show(this.error, this.failure !== null);
    setText(this.error, this.failure ?? "");
    setText(this.time, timeText(p.position, p.duration));
    setText(this.playButton, playLabel(p, rec?.records ?? []));
    show(this.noChat, this.chatShown === 0);
    setText(this.status, this.statusText());
  }

  private statusText(): string {
    const rec = this.recording;
    if (this.failure !== null) return "";
    if (rec === null) return "Loading the recording…";
    const cut = rec.truncated ? " The recording stops early: the portal stopped while writing it." : "";
    if (atEnd(this.player, rec.records)) return `End of recording.${cut}`;
    return this.player.playing ? `Playing at ${speedLabel(this.player.speed)}.` : "Paused.";
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private installHooks(): ReplayHooks {
    const hooks: ReplayHooks = {
      pixels: workerPixels(this.worker, () => !this.disposed),
      status: () => {
        const rec = this.recording;
        const ended = rec !== null && atEnd(this.player, rec.records);
        return {
          loaded: rec !== null,
          playing: this.player.playing,
          done: ended && this.failure === null && this.framesHandled >= this.framesPosted,
          position_ms: Math.round(this.player.position),
          duration_ms: this.player.duration,
          frames: this.framesThisRun,
          chat: this.chatShown,
          error: this.failure,
        };
      },
    };
    (window as unknown as HookWindow).tandemReplay = hooks;
    return hooks;
  }
}
