// One session panel's pane (`session-<code>`): who is in the session and what they may do,
// the session's chat, invitations (session_invite_view.ts) and the end (notes, outcome, end
// the session). Built once per panel, so a new roster or chat line never wipes what the
// representative is typing; session_panel.ts holds the logic.

import { viewerCommand, viewerLink } from "./format";
import { field, h, replace, setText, show } from "./h";
import { allows, allowsControl, allowsSpecialistControl } from "./policy";
import { CLIPBOARD, CONTROL, FILES, VIEW, hasRights, rightsInWords, roleInWords } from "./rights";
import { InviteView, type PanelActions } from "./session_invite_view";
import {
  acted,
  consentOf,
  ENDED_BY_REP,
  endSent,
  mayAct,
  maySaveNotes,
  notesSent,
  panelStatus,
  rowButtons,
  type PanelState,
  type SessionChatLine,
} from "./session_panel";
import { RemoteScreen } from "./viewer/remote_screen";
import type { AttendeeInfo, FunctionName, Outcome, Rights, SignalPayload } from "./wire";

/** The host's attendee id: a pane that watches takes the host's seat. */
const HOST = 2;

export type { PanelActions } from "./session_invite_view";

export class PanelView {
  readonly el: HTMLElement;
  private readonly title = h("h3", { testid: "session-title" });
  private readonly status = h("p", { class: "status", testid: "session-status", role: "status" });
  private readonly error = h("p", { class: "form-error", testid: "session-error", role: "alert", hidden: true });
  private readonly notice = h("p", { class: "status-line", testid: "session-notice", role: "status", hidden: true });
  private readonly attendees = h("div", { class: "attendees", testid: "attendees" });
  private readonly chatLog = h("div", { class: "chat-log", testid: "session-chat-log", role: "log", "aria-live": "polite" });
  private readonly chatInput = h("input", { type: "text", testid: "session-chat-input", maxlength: 2000, autocomplete: "off", "aria-label": "Message to the session", placeholder: "Type a message" });
  private readonly repsOnly = h("input", { type: "checkbox", testid: "session-chat-reps-only" });
  private readonly chatSend = h("button", { type: "submit", testid: "session-chat-send" }, "Send");
  private readonly chatForm: HTMLElement;
  private readonly repsOnlyLabel: HTMLElement;
  private readonly noChat = h("p", { class: "muted", testid: "session-chat-withheld", hidden: true }, "The policy does not let you chat in sessions.");
  /** "Watch the screen here" and "Open in viewer": only when the policy allows screen sharing. */
  private readonly screenRow: HTMLElement;
  private readonly invites: InviteView;
  private readonly notes = h("textarea", { testid: "session-notes", rows: 3, maxlength: 4000 });
  private readonly outcome = h("select", { testid: "session-outcome" },
    h("option", { value: "resolved" }, "Resolved"),
    h("option", { value: "unresolved" }, "Not resolved"));
  private readonly saveNotes: HTMLButtonElement;
  private readonly notesStatus = h("p", { class: "muted", testid: "notes-status", role: "status", hidden: true });
  private readonly endButton: HTMLButtonElement;
  private readonly watchButton: HTMLButtonElement;
  private readonly screenStatus = h("p", { class: "status-line", testid: "screen-status", role: "status", hidden: true });
  private readonly screenSlot = h("div", { class: "screen-slot" });
  /** The screen, once the representative chose to watch here. */
  private screen: RemoteScreen | null = null;
  /** The screen has shown its link open at least once (a refusal before that undoes watching). */
  private screenLive = false;
  private shownChat = 0;
  private attendeesKey = "";
  private panel: PanelState;
  /** What the policy allows this representative (null: everything); see policy.ts. */
  private functions: readonly FunctionName[] | null = null;
  /** The rights the watched screen last reported (re-applied when the policy changes). */
  private screenRights: Rights | null = null;

  constructor(panel: PanelState, private readonly actions: PanelActions) {
    this.panel = panel;
    const id = panel.id;
    this.invites = new InviteView(panel, actions);
    this.chatForm = h("form", { class: "chat-form", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      const text = this.chatInput.value.trim();
      if (text === "") return;
      this.actions.act(id, { type: "chat", text, reps_only: this.repsOnly.checked }, (p) => acted(p));
      this.chatInput.value = "";
      this.chatInput.focus();
    } } }, this.chatInput, this.chatSend);
    this.saveNotes = h("button", { type: "button", class: "secondary", testid: "save-notes", on: { click: () => {
      const session = this.panel.session;
      if (session === null) return;
      const outcome: Outcome = this.outcome.value === "unresolved" ? "unresolved" : "resolved";
      this.actions.act(id, { type: "save_notes", session, notes: this.notes.value.trim(), outcome }, notesSent);
    } } }, "Save notes");
    this.endButton = h("button", { type: "button", class: "danger", testid: "end-session", on: { click: () =>
      this.actions.act(id, { type: "end_session", reason: ENDED_BY_REP }, endSent) } }, "End session");
    this.watchButton = h("button", { type: "button", class: "button", testid: "watch-screen", on: { click: () => this.watch() } }, "Watch the screen here");
    this.repsOnlyLabel = h("label", { class: "check" }, this.repsOnly, " Representatives only (the customer and specialists do not see it)");
    const code = panel.code;
    this.el = h("section", { class: "card pane session-pane", testid: `session-${code}`, "data-code": code },
      h("div", { class: "pane-head" }, this.title,
        h("button", { type: "button", class: "secondary small", testid: "close-session-pane", on: { click: () => this.actions.close(id) } }, "Close")),
      this.status,
      this.error,
      this.notice,
      this.screenRow = h("p", null, this.watchButton, " ",
        h("a", { class: "button secondary", testid: "open-viewer", href: viewerLink(code, actions.viewerTarget()) }, "Open in viewer"),
        " or run ", h("code", { testid: "viewer-command" }, viewerCommand(code, actions.viewerTarget()))),
      this.screenStatus,
      this.screenSlot,
      h("h4", null, "Attendees"),
      this.attendees,
      h("h4", null, "Chat"),
      this.chatLog,
      this.chatForm,
      this.repsOnlyLabel,
      this.noChat,
      this.invites.el,
      h("div", { class: "end" },
        h("h4", null, "End"),
        field("Notes", this.notes),
        field("Outcome", this.outcome),
        h("div", { class: "actions" }, this.saveNotes, this.endButton),
        this.notesStatus),
    );
  }

  /** A signal from the agent on this pane's connection (the pane watches the screen). */
  signal(from: number, payload: SignalPayload): void {
    this.screen?.signal(from, payload);
  }

  /** Takes the host's seat on this pane's connection and shows the screen here. */
  private watch(): void {
    if (this.screen !== null) return;
    const id = this.panel.id;
    const say = (text: string): void => {
      setText(this.screenStatus, text);
      show(this.screenStatus, true);
    };
    const apply = (rights: number): void => {
      this.screenRights = rights;
      this.applyRights();
    };
    const screen = new RemoteScreen(() => HOST, (msg) => this.actions.act(id, msg, (p) => p), {
      live: (path, rights) => {
        this.screenLive = true;
        say(path === "relay" ? "Connected (through the portal)." : "Connected.");
        apply(rights);
      },
      rights: (rights) => {
        say(hasRights(rights, CONTROL) ? "You may control the screen." : allowsControl(this.functions)
          ? "View only: the customer has not given you control."
          : "View only: the policy does not allow you remote control.");
        apply(rights);
      },
      asked: () => say("You asked the customer for control; they answer on their computer."),
      lost: (why) => say(`Connection to the customer's computer lost (${why}); waiting for it to come back.`),
      ended: (reason) => say(reason),
      refused: (text) => say(`The customer's computer refused: ${text}`),
      rebooting: () => say("The customer's computer is restarting; the session comes back by itself."),
      viewOnly: () => say("View only: the customer has not given you control."),
      clipboard: (text) => say(text),
    });
    this.screen = screen;
    screen.markStart();
    this.screenSlot.appendChild(screen.el);
    say("Waiting for the customer's computer…");
    show(this.watchButton, false);
    this.el.classList.add("watching");
    this.actions.act(id, { type: "watch_session" }, (p) => acted(p));
  }

  /**
   * The watched screen's controls from the rights the agent reported and what the policy
   * allows. The host's grant includes control; only the customer can stand between.
   */
  private applyRights(): void {
    const rights = this.screenRights;
    if (this.screen === null || rights === null) return;
    const f = this.functions;
    this.screen.setControl(hasRights(rights, CONTROL));
    this.screen.setFiles(hasRights(rights, FILES) && allows(f, "files"));
    this.screen.setClipboard(hasRights(rights, CLIPBOARD) && allows(f, "clipboard"));
    this.screen.setAskable(hasRights(rights, VIEW) && !hasRights(rights, CONTROL) && allowsControl(f));
  }

  private unwatch(): void {
    this.screen?.dispose();
    this.screen = null;
    this.screenRights = null;
    show(this.screenStatus, false);
    show(this.watchButton, true);
    this.el.classList.remove("watching");
  }

  /** The pane is closed: its screen (worker, saved files) goes with it. */
  dispose(): void {
    this.screen?.dispose();
    this.screen = null;
  }

  /** Brings the pane into view (its code was opened again). */
  focus(): void {
    this.el.scrollIntoView({ block: "nearest" });
    this.chatInput.focus({ preventScroll: true });
  }

  /** `functions`: what the policy allows this representative (null: everything). */
  render(p: PanelState, nowMs: number, functions: readonly FunctionName[] | null = null): void {
    this.panel = p;
    const policyChanged = functions !== this.functions;
    this.functions = functions;
    if (policyChanged) this.applyRights();
    const live = mayAct(p);
    show(this.screenRow, allows(functions, "screen"));
    const chat = allows(functions, "chat");
    show(this.chatForm, chat);
    show(this.repsOnlyLabel, chat);
    show(this.noChat, !chat);
    setText(this.title, `Session with ${p.customer}`);
    this.tick(nowMs);
    show(this.error, p.error !== null);
    setText(this.error, p.error ?? "");
    show(this.notice, p.notice !== null);
    setText(this.notice, p.notice ?? "");
    this.el.classList.toggle("over", p.phase === "ended" || p.phase === "failed" || p.lost);
    this.renderAttendees(p, live);
    this.renderChat(p.chat);
    for (const control of [this.chatInput, this.repsOnly, this.chatSend, this.endButton]) control.disabled = !live;
    if (this.screen === null) this.watchButton.disabled = !(live || p.phase === "waiting");
    if (p.phase === "ended" || p.phase === "failed" || p.lost) this.screen?.close();
    // Watching was refused (another window holds the host's seat): back to the button.
    if (this.screen !== null && !this.screenLive && p.error !== null) this.unwatch();
    this.saveNotes.disabled = !maySaveNotes(p);
    show(this.notesStatus, p.notesStatus !== null);
    setText(this.notesStatus, p.notesStatus ?? "");
    this.invites.render(p, functions);
  }

  /** Advances the away countdown. */
  tick(nowMs: number): void {
    setText(this.status, panelStatus(this.panel, nowMs));
  }

  private renderAttendees(p: PanelState, live: boolean): void {
    const key = JSON.stringify([p.attendees, p.consents, live, allowsSpecialistControl(this.functions)]);
    if (key === this.attendeesKey) return;
    this.attendeesKey = key;
    if (p.attendees.length === 0) {
      replace(this.attendees, h("p", { class: "muted" }, "No one has joined yet."));
      return;
    }
    replace(this.attendees, ...p.attendees.map((a) => this.attendeeRow(p, a, live)));
  }

  private attendeeRow(p: PanelState, a: AttendeeInfo, live: boolean): HTMLElement {
    const id = p.id;
    const buttons = rowButtons(a, allowsSpecialistControl(this.functions));
    const allowed = consentOf(p, a.id);
    const change = (grant: number, revoke: number): void =>
      this.actions.act(id, { type: "change_rights", attendee: a.id, grant, revoke }, (s) => acted(s));
    return h("div", { class: "attendee", testid: `attendee-${a.id}` },
      h("div", null,
        h("strong", null, a.name), ` — ${roleInWords(a.role)}`,
        a.masked ? h("span", { class: "muted" }, " (hidden from the customer)") : null),
      h("div", { class: "muted" }, `Rights: ${rightsInWords(a.rights)}`),
      allowed === null ? null : h("div", { class: "muted" }, `The customer allowed: ${rightsInWords(allowed)}`),
      buttons.grantControl || buttons.revokeControl || buttons.remove
        ? h("div", { class: "actions" },
            buttons.grantControl
              ? h("button", { type: "button", class: "secondary small", testid: `grant-control-${a.id}`, disabled: !live, on: { click: () => change(CONTROL, 0) } }, "Allow control")
              : null,
            buttons.revokeControl
              ? h("button", { type: "button", class: "secondary small", testid: `revoke-control-${a.id}`, disabled: !live, on: { click: () => change(0, CONTROL) } }, "Take control away")
              : null,
            buttons.remove
              ? h("button", { type: "button", class: "danger small", testid: `remove-${a.id}`, disabled: !live, on: { click: () =>
                  this.actions.act(id, { type: "remove_attendee", attendee: a.id }, (s) => acted(s)) } }, "Remove")
              : null)
        : null,
    );
  }

  private renderChat(lines: readonly SessionChatLine[]): void {
    if (lines.length < this.shownChat) {
      this.chatLog.replaceChildren();
      this.shownChat = 0;
    }
    for (const line of lines.slice(this.shownChat)) {
      this.chatLog.appendChild(
        h("div", { class: `chat-line${line.repsOnly ? " reps-only" : ""}${line.from === 1 ? " from-customer" : " from-rep"}` },
          h("span", { class: "who" }, `${line.name}: `),
          h("span", { class: "text" }, line.text),
          line.repsOnly ? h("span", { class: "muted" }, " (representatives only)") : null),
      );
    }
    if (lines.length > this.shownChat) this.chatLog.scrollTop = this.chatLog.scrollHeight;
    this.shownChat = lines.length;
  }
}
