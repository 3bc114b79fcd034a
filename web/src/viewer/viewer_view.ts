// The browser viewer: a specialist opens the join link, gives a name and sees the customer's
// screen, the attendees and the chat; with control, pointer, wheel and keys drive the
// customer's desktop. State is viewer.ts's (pure); this file does the DOM and the side
// effects: the portal connection, and the screen (remote_screen.ts: link, worker, input).

import { chatForm, chatLog } from "../chat_view";
import { h, replace, setText, show } from "../h";
import { CLIPBOARD, CONTROL, FILES, VIEW, hasRights } from "../rights";
import { CONNECTION_LOST, Connection } from "../ws";
import type { PortalMessage } from "../wire";
import { RemoteScreen } from "./remote_screen";
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
  const leaveButton = h("button", { type: "button", class: "button", testid: "leave", on: { click: () => leave() } }, "Leave");
  const attendeeList = h("ul", { class: "attendees", testid: "attendees" });
  const log = chatLog();
  const form = chatForm((text) => conn?.send({ type: "chat", text, reps_only: false }));
  const screen = new RemoteScreen(() => state.you, (msg) => conn?.send(msg), {
    live: (path, rights) => { state = linkOpen(rightsChanged(state, rights, true), path); render(); },
    rights: (rights) => { state = rightsChanged(state, rights, false); render(); },
    lost: (why) => { state = linkLost(state, why); render(); },
    // The agent ended it (or the picture cannot be shown): leave the seat too, or the agent
    // would keep offering links nobody answers.
    ended: (reason) => {
      screen.leave(reason);
      conn?.send({ type: "end_session", reason });
      conn?.close();
      state = ended(state, reason);
      render();
    },
    refused: (text) => { state = { ...state, notice: sentence(`The customer's computer refused: ${text}`) }; render(); },
    rebooting: () => { state = { ...state, notice: "The customer's computer is restarting; the session comes back by itself." }; render(); },
    viewOnly: () => { state = { ...state, notice: "View only: your keyboard and mouse do not reach the customer's computer." }; render(); },
    asked: () => { state = { ...state, notice: "You asked the customer for control; they answer on their computer." }; render(); },
    clipboard: (text) => { state = { ...state, notice: text }; render(); },
  });
  const layout = h("div", { class: "viewer-page", testid: "viewer" },
    h("header", { class: "viewer-bar" }, title, status, rightsLine,
      h("span", { class: "viewer-tools" }, leaveButton)),
    notice,
    h("div", { class: "viewer-main" },
      screen.el,
      h("aside", { class: "viewer-side" },
        h("h2", null, "Attendees"), attendeeList,
        h("h2", null, "Chat"), log.el, form.el)));
  const hooks = (window as unknown as { tandemViewer: Record<string, unknown> }).tandemViewer;
  hooks.state = () => state;

  replace(root, prompt);
  nameInput.focus();

  function submitName(): void {
    const name = nameInput.value.trim();
    if (name === "") {
      setText(joinError, "Please enter your name.");
      show(joinError, true);
      return;
    }
    show(joinError, false);
    state = joining(state, name);
    screen.markStart();
    connect();
    render();
  }

  function connect(): void {
    conn = new Connection({
      message: (msg) => onPortal(msg),
      closed: () => {
        screen.close();
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
    if (msg.type === "joined") performance.mark("tandem:joined");
    const before = state;
    state = viewerUpdate(state, msg);
    if (msg.type === "signal" && state.phase !== "ended") screen.signal(msg.from, msg.payload);
    if (state.phase === "ended" && before.phase !== "ended") {
      screen.close();
      conn?.close();
    }
    render();
  }

  function leave(): void {
    screen.leave("the specialist left");
    screen.close();
    conn?.send({ type: "end_session", reason: "the specialist left" });
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
      screen.focus();
    }
    setText(title, `Support session with ${state.customer}`);
    setText(status, `${PHASE_WORDS[state.phase]}${state.phase === "live" && state.path === "relay" ? " (through the portal)" : ""}`);
    setText(rightsLine, state.phase === "live" ? rightsWords(state.rights) : "");
    setText(notice, state.notice ?? "");
    show(notice, state.notice !== null);
    screen.setControl(state.phase === "live" && hasRights(state.rights, CONTROL));
    screen.setFiles(state.phase === "live" && hasRights(state.rights, FILES));
    screen.setClipboard(state.phase === "live" && hasRights(state.rights, CLIPBOARD));
    // The host lets us control, the customer does not (now): we may ask them.
    const grant = state.attendees.find((a) => a.id === state.you)?.rights ?? 0;
    screen.setAskable(state.phase === "live" && hasRights(grant, CONTROL) && hasRights(state.rights, VIEW) && !hasRights(state.rights, CONTROL));
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
      screen.close();
      leaveButton.disabled = true;
    }
  }
}
