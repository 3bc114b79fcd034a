// The browser viewer: a specialist opens the join link, gives a name and sees the customer's
// screen, the attendees and the chat; with control, pointer, wheel and keys drive the
// customer's desktop. State is viewer.ts's (pure); this file does the DOM and the side
// effects: the portal connection, the link (link.ts), the decoding worker, input.

import { chatForm, chatLog } from "../chat_view";
import { h, replace, setText, show } from "../h";
import { CONTROL, hasRights } from "../rights";
import { CONNECTION_LOST, Connection } from "../ws";
import type { PortalMessage } from "../wire";
import { encodeInput, type InputEvent } from "./frames";
import { SPECIAL_KEYS } from "./keys";
import { answerOffer, connectRelay, type Link } from "./link";
import { LinkSession } from "./link_session";
import { ScreenInput } from "./screen_input";
import {
  ended,
  initialViewer,
  joining,
  linkLost,
  linkOpen,
  rightsChanged,
  rightsWords,
  sentence,
  viewerUpdate,
  type ViewerState,
} from "./viewer";

/** Words for each phase, in the status line. */
const PHASE_WORDS: Record<ViewerState["phase"], string> = {
  name: "",
  joining: "Joining…",
  waiting: "Waiting for the customer's computer…",
  connecting: "Connecting to the customer's computer…",
  live: "Connected",
  reconnecting: "Reconnecting…",
  ended: "Session over",
};

export function startViewerPage(root: HTMLElement, key: string, linkToken: string | null): void {
  document.title = "Tandem — join a support session";
  let state = initialViewer(key, linkToken);
  let conn: Connection | null = null;
  let link: Link | null = null;
  let session: LinkSession | null = null;
  let joinStarted = 0;
  let firstFrameMs: number | null = null;

  // ----- the name prompt -----
  const nameInput = h("input", { type: "text", testid: "specialist-name", maxlength: 100, autocomplete: "name", required: true, "aria-label": "Your name" });
  const joinError = h("p", { class: "form-error", testid: "viewer-error", role: "alert" });
  show(joinError, false);
  const prompt = h("div", { class: "page" },
    h("section", { class: "card", testid: "name-prompt" },
      h("h1", null, "Join a support session"),
      h("p", null, "You were invited to help in a remote support session. The customer and the other attendees will see the name you give."),
      h("form", { novalidate: true, on: { submit: (e) => { e.preventDefault(); submitName(); } } },
        h("label", { class: "field" }, h("span", { class: "label" }, "Your name"), nameInput),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "button", testid: "join" }, "Join")),
      ),
      joinError));

  // ----- the session layout -----
  const title = h("h1", { class: "viewer-title", testid: "viewer-title" });
  const status = h("span", { class: "viewer-status", testid: "viewer-status" });
  const rightsLine = h("span", { class: "viewer-rights", testid: "viewer-rights" });
  const notice = h("p", { class: "viewer-notice", testid: "viewer-notice", role: "status" });
  const endedBox = h("section", { class: "card viewer-ended", testid: "viewer-ended" });
  const screenCanvas = h("canvas", { class: "screen", testid: "screen", tabindex: 0, "aria-label": "The customer's screen" });
  const cursorCanvas = h("canvas", { class: "remote-cursor", "aria-hidden": "true" });
  const screenBox = h("div", { class: "screen-box", testid: "screen-box" }, screenCanvas, cursorCanvas);
  const scaleButton = h("button", { type: "button", class: "button", testid: "scale-toggle", on: { click: () => toggleScale() } }, "Actual size");
  const keySelect = h("select", { testid: "special-keys", "aria-label": "Send a special key" },
    h("option", { value: "" }, "Send keys…"),
    ...SPECIAL_KEYS.map((k) => h("option", { value: k.id }, k.label)));
  keySelect.addEventListener("change", () => {
    const chosen = SPECIAL_KEYS.find((k) => k.id === keySelect.value);
    keySelect.value = "";
    if (chosen !== undefined) for (const ev of chosen.events) sendInput(ev);
    screenCanvas.focus();
  });
  const leaveButton = h("button", { type: "button", class: "button", testid: "leave", on: { click: () => leave() } }, "Leave");
  const attendeeList = h("ul", { class: "attendees", testid: "attendees" });
  const log = chatLog();
  const form = chatForm((text) => conn?.send({ type: "chat", text, reps_only: false }));
  const layout = h("div", { class: "viewer-page", testid: "viewer" },
    h("header", { class: "viewer-bar" }, title, status, rightsLine,
      h("span", { class: "viewer-tools" }, keySelect, scaleButton, leaveButton)),
    notice,
    h("div", { class: "viewer-main" },
      screenBox,
      h("aside", { class: "viewer-side" },
        h("h2", null, "Attendees"), attendeeList,
        h("h2", null, "Chat"), log.el, form.el)));

  replace(root, prompt);
  nameInput.focus();

  const worker = new Worker("/app/viewer_worker.js", { type: "module" });
  const offscreen = screenCanvas.transferControlToOffscreen();
  worker.postMessage({ type: "canvas", canvas: offscreen }, [offscreen]);
  const input = new ScreenInput(screenCanvas, cursorCanvas, screenBox, (ev) => sendInput(ev));

  function submitName(): void {
    const name = nameInput.value.trim();
    if (name === "") {
      setText(joinError, "Please enter your name.");
      show(joinError, true);
      return;
    }
    show(joinError, false);
    state = joining(state, name);
    joinStarted = performance.now();
    connect();
    render();
  }

  function connect(): void {
    conn = new Connection({
      message: (msg) => onPortal(msg),
      closed: () => {
        closeLink();
        state = ended(state, state.phase === "joining" ? CONNECTION_LOST : "The connection to the portal was lost. Open the link again to rejoin.");
        render();
      },
    });
    conn.send({
      type: "join_as_specialist",
      key: state.key,
      name: state.name,
      ...(state.linkToken !== null && state.seatToken === null ? { link_token: state.linkToken } : {}),
      ...(state.seatToken !== null ? { seat_token: state.seatToken } : {}),
    });
  }

  function onPortal(msg: PortalMessage): void {
    const before = state;
    state = viewerUpdate(state, msg);
    if (msg.type === "signal" && state.phase !== "ended") {
      if (msg.payload.kind === "offer") void answer(msg.from, msg.payload.sdp);
      else if (msg.payload.kind === "relay") relay(msg.payload.token);
    }
    if (state.phase === "ended" && before.phase !== "ended") {
      closeLink();
      conn?.close();
    }
    render();
  }

  async function answer(from: number, sdp: string): Promise<void> {
    closeLink();
    try {
      const owner: { link: Link | null } = { link: null };
      const { answer: sdpAnswer, link: next } = await answerOffer(sdp, linkHandlers(owner));
      if (state.phase === "ended") {
        next.close();
        return;
      }
      link = owner.link = next;
      conn?.send({ type: "signal", to: from, payload: { kind: "answer", sdp: sdpAnswer } });
    } catch (e) {
      state = linkLost(state, `could not answer: ${String(e)}`);
      render();
    }
  }

  function relay(token: string): void {
    // The agent gave up on a direct path: the relay replaces whatever was being negotiated.
    closeLink();
    const owner: { link: Link | null } = { link: null };
    link = owner.link = connectRelay(token, linkHandlers(owner));
  }

  /** Handlers for one link; `owner.link` is set once the link exists. */
  function linkHandlers(owner: { link: Link | null }): Parameters<typeof connectRelay>[1] {
    let mine: LinkSession | null = null;
    return {
      open: (path) => {
        const current = owner.link;
        if (state.you === null || current === null || current !== link) return;
        worker.postMessage({ type: "reset" });
        mine = new LinkSession(current, state.you, worker, {
          welcome: (rights) => { state = linkOpen(rightsChanged(state, rights, true), path); render(); },
          rights: (rights) => { state = rightsChanged(state, rights, false); render(); },
          applied: (w, hgt) => {
            input.setScreen(w, hgt);
            if (firstFrameMs === null) {
              firstFrameMs = Math.round(performance.now() - joinStarted);
              document.body.dataset.firstFrameMs = String(firstFrameMs);
            }
            document.body.dataset.frames = String(Number(document.body.dataset.frames ?? "0") + 1);
          },
          cursorShape: (shape) => input.setCursorShape(shape),
          cursorPosition: (x, y) => input.setCursorPosition(x, y),
          refused: (text) => {
            document.body.dataset.refusals = String(Number(document.body.dataset.refusals ?? "0") + 1);
            state = { ...state, notice: sentence(`The customer's computer refused: ${text}`) };
            render();
          },
          ended: (reason) => { state = ended(state, reason); closeLink(); render(); },
          lost: (why) => { closeLink(); state = linkLost(state, why); render(); },
          rebooting: () => { state = { ...state, notice: "The customer's computer is restarting; the session comes back by itself." }; render(); },
        });
        session = mine;
      },
      message: (channel, data) => mine?.handle(channel, data),
      closed: (why) => {
        mine?.stop();
        if (owner.link === null || owner.link !== link) return; // replaced already
        session = null;
        link = null;
        state = linkLost(state, why);
        render();
      },
    };
  }

  function closeLink(): void {
    session?.stop();
    session = null;
    const old = link;
    link = null;
    old?.close();
  }

  function sendInput(ev: InputEvent): void {
    if (session === null) return;
    if (!hasRights(state.rights, CONTROL)) {
      // The agent would drop it anyway; saying so here is kinder than silence.
      if (ev.type !== "pointer_move") {
        state = { ...state, notice: "View only: your keyboard and mouse do not reach the customer's computer." };
        render();
      }
      return;
    }
    session.sendInput(ev);
  }

  function toggleScale(): void {
    input.setActualSize(!input.actualSize);
    setText(scaleButton, input.actualSize ? "Fit to window" : "Actual size");
  }

  function leave(): void {
    session?.leave("the specialist left");
    closeLink();
    conn?.close();
    state = ended(state, "You left the session.");
    render();
  }

  function render(): void {
    if (state.phase === "name" || (state.phase === "joining" && state.session === null)) {
      if (root.firstChild !== prompt) replace(root, prompt);
      return;
    }
    if (state.phase === "ended" && state.session === null) {
      // Refused before joining: the prompt stays, with the reason.
      if (root.firstChild !== prompt) replace(root, prompt);
      setText(joinError, state.ended ?? "");
      show(joinError, true);
      return;
    }
    if (root.firstChild !== layout) {
      replace(root, layout);
      document.title = `Tandem — ${state.customer}`;
      screenCanvas.focus();
    }
    setText(title, `Support session with ${state.customer}`);
    setText(status, `${PHASE_WORDS[state.phase]}${state.phase === "live" && state.path === "relay" ? " (through the portal)" : ""}`);
    setText(rightsLine, state.phase === "live" ? rightsWords(state.rights) : "");
    setText(notice, state.notice ?? "");
    show(notice, state.notice !== null);
    input.setEnabled(state.phase === "live" && hasRights(state.rights, CONTROL));
    replace(attendeeList, ...state.attendees.map((a) =>
      h("li", { testid: "attendee" }, a.name, a.id === state.you ? " (you)" : "",
        h("span", { class: "muted" }, ` — ${a.role}`))));
    log.render(state.chat.map((c) => ({ name: c.name, text: c.text, fromCustomer: c.from === 1 })));
    if (state.phase === "ended") {
      replace(endedBox, h("h2", null, "The session is over for you"), h("p", { testid: "ended-reason" }, state.ended ?? ""));
      if (!layout.contains(endedBox)) layout.insertBefore(endedBox, layout.children[1] ?? null);
      layout.classList.add("ended");
      form.input.disabled = true;
      for (const b of form.el.querySelectorAll("button")) b.disabled = true;
      keySelect.disabled = true;
      leaveButton.disabled = true;
    }
  }

  // Test and diagnostics hooks: the picture as the canvas holds it, and raw input that
  // skips the page's own rights check (the agent must refuse it all the same).
  let nextPixels = 1;
  const waiting = new Map<number, (v: { width: number; height: number; data: ArrayBuffer | null }) => void>();
  worker.addEventListener("message", (e: MessageEvent<{ type: string; id?: number; width: number; height: number; data: ArrayBuffer | null }>) => {
    if (e.data.type === "pixels" && e.data.id !== undefined) {
      waiting.get(e.data.id)?.(e.data);
      waiting.delete(e.data.id);
    }
  });
  (window as unknown as { tandemViewer: unknown }).tandemViewer = {
    pixels: (x: number, y: number, w: number, hgt: number): Promise<string | null> =>
      new Promise((resolve) => {
        const id = nextPixels++;
        waiting.set(id, (v) => resolve(v.data === null ? null : toBase64(new Uint8Array(v.data))));
        worker.postMessage({ type: "pixels", id, x, y, w, h: hgt });
      }),
    forceInput: (ev: InputEvent): boolean => link?.send("input", encodeInput(ev)) ?? false,
    state: () => state,
  };
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
