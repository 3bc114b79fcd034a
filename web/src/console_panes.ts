// The console's panes for requests this representative took: the customer and portal, the
// session's code once there is one, its Session area (where the session panel with the
// native viewer's link sits; console_sessions.ts puts it there), the Web Chat with its
// escalate button, and the end section (notes, outcome, close).

import { chatForm, chatLog, type ChatForm, type ChatLog } from "./chat_view";
import type { ConsoleState, TakenPane } from "./console";
import { codeCountdown } from "./console";
import { groupDigits } from "./format";
import { field, h, replace, setText, show } from "./h";
import type { Outcome } from "./wire";

export interface PaneActions {
  chat(request: number, text: string): void;
  escalate(request: number): void;
  close(request: number, notes: string, outcome: Outcome): void;
  dismiss(request: number): void;
  /** Opens the session panel of the request's code again (after its pane was closed). */
  openSession(request: number): void;
}

interface Pane {
  el: HTMLElement;
  title: HTMLElement;
  codeArea: HTMLElement;
  countdown: HTMLElement | null;
  shownCode: string | null;
  sessionArea: HTMLElement;
  sessionSlot: HTMLElement;
  reopen: HTMLButtonElement;
  error: HTMLElement;
  chatArea: HTMLElement;
  log: ChatLog;
  form: ChatForm;
  escalate: HTMLButtonElement;
  escalateNote: HTMLElement;
  endArea: HTMLElement;
  closedNote: HTMLElement;
  data: TakenPane;
}

export class PanesView {
  readonly el = h("div", { class: "panes", testid: "taken" });
  private readonly panes = new Map<number, Pane>();

  constructor(private readonly actions: PaneActions) {}

  render(s: ConsoleState, nowMs: number): void {
    const wanted = new Set(s.taken.map((p) => p.request));
    for (const [request, pane] of this.panes) {
      if (!wanted.has(request)) {
        pane.el.remove();
        this.panes.delete(request);
      }
    }
    for (const data of s.taken) {
      let pane = this.panes.get(data.request);
      if (pane === undefined) {
        pane = this.build(data);
        this.panes.set(data.request, pane);
        this.el.appendChild(pane.el);
      }
      this.update(pane, data, s.panels.some((p) => p.request === data.request));
    }
    this.tick(nowMs);
  }

  /** Where the session panel of taken request `request` goes (null: no such pane). */
  sessionSlot(request: number): HTMLElement | null {
    return this.panes.get(request)?.sessionSlot ?? null;
  }

  /** Advances the code countdowns. */
  tick(nowMs: number): void {
    for (const pane of this.panes.values()) {
      if (pane.countdown !== null && pane.data.code !== null)
        setText(pane.countdown, codeCountdown(pane.data.code, nowMs));
    }
  }

  private build(data: TakenPane): Pane {
    const request = data.request;
    const log = chatLog();
    const form = chatForm((text) => this.actions.chat(request, text));
    const escalate = h("button", { type: "button", class: "secondary", testid: "escalate", on: { click: () => this.actions.escalate(request) } }, "Ask to see the screen");
    const escalateNote = h("p", { class: "muted", hidden: true }, "Waiting for the session code…");
    const notes = h("textarea", { testid: "close-notes", rows: 3, maxlength: 4000 });
    const outcome = h("select", { testid: "close-outcome" },
      h("option", { value: "resolved" }, "Resolved"),
      h("option", { value: "unresolved" }, "Not resolved"));
    const closeButton = h("button", { type: "button", testid: "close-request", on: { click: () => {
      const chosen: Outcome = outcome.value === "unresolved" ? "unresolved" : "resolved";
      this.actions.close(request, notes.value.trim(), chosen);
    } } }, "Close request");
    const endArea = h("div", { class: "end" },
      h("h4", null, "End"),
      field("Notes", notes),
      field("Outcome", outcome),
      closeButton);
    const closedNote = h("p", { class: "notice", testid: "request-closed", hidden: true },
      "This request is closed. ",
      h("button", { type: "button", class: "secondary", testid: "dismiss", on: { click: () => this.actions.dismiss(request) } }, "Remove"));
    const title = h("h3", { testid: "pane-title" });
    const codeArea = h("div", { class: "taken-code-area", hidden: true });
    const sessionSlot = h("div", { class: "session-slot" });
    const reopen = h("button", { type: "button", class: "secondary", testid: "reopen-session", hidden: true, on: { click: () => this.actions.openSession(request) } }, "Open the session panel");
    const sessionArea = h("div", { class: "session-area", hidden: true }, h("h4", null, "Session"), reopen, sessionSlot);
    const error = h("p", { class: "form-error", testid: "pane-error", role: "alert", hidden: true });
    const chatArea = h("div", { class: "chat" }, log.el, form.el, h("div", { class: "actions" }, escalate), escalateNote);
    const el = h("section", { class: "card pane", testid: `chat-${request}` }, title, error, codeArea, chatArea, sessionArea, endArea, closedNote);
    return { el, title, codeArea, countdown: null, shownCode: null, sessionArea, sessionSlot, reopen, error, chatArea, log, form, escalate, escalateNote, endArea, closedNote, data };
  }

  private update(pane: Pane, data: TakenPane, hasPanel: boolean): void {
    pane.data = data;
    setText(pane.title, `${data.customer} — ${data.portal}`);
    const code = data.code?.value ?? null;
    show(pane.codeArea, code !== null);
    if (code !== null && code.code !== pane.shownCode) {
      pane.shownCode = code.code;
      pane.countdown = h("span", { class: "countdown", testid: "countdown" });
      replace(pane.codeArea,
        h("p", null, "Session code: ", h("strong", { class: "code", testid: "taken-code" }, groupDigits(code.code)),
          " (expires in ", pane.countdown, ")"),
        h("p", null, "Customer's link: ", h("a", { testid: "taken-join-url", href: code.join_url, target: "_blank", rel: "noopener" }, code.join_url)),
      );
    }
    show(pane.sessionArea, code !== null);
    show(pane.reopen, code !== null && !hasPanel && !data.closed);
    show(pane.error, data.error !== null);
    setText(pane.error, data.error ?? "");
    const webChat = data.chatStart === "web_chat";
    show(pane.chatArea, webChat);
    pane.log.render(data.chat);
    show(pane.escalate, webChat && code === null && !data.escalating);
    show(pane.escalateNote, webChat && code === null && data.escalating);
    pane.form.input.disabled = data.closed;
    show(pane.form.el, !data.closed);
    show(pane.endArea, !data.closed);
    show(pane.closedNote, data.closed);
    if (data.closed) show(pane.escalate, false);
  }
}
