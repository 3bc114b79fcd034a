// The representative console (`/console`): the login form, then the List View of incoming
// queries, the codes view, the panes of taken requests and the session panels. The logic is
// in console.ts and session_panel.ts; this shell draws it, runs the one-second clock for the
// live counters, performs the effects (beep, desktop notification, panel tickets) and keeps
// one connection per session panel.

import {
  closeManagement,
  closePanel,
  closeSent,
  codeSent,
  connectionLost,
  consoleUpdate,
  dismissAlert,
  dismissPane,
  escalateSent,
  initialConsole,
  loginSent,
  manageSent,
  mapPanel,
  offerText,
  openManagement,
  openPanel,
  panelMessage,
  queryNotification,
  waitingText,
  type ConsoleState,
  type Effect,
  type Timed,
} from "./console";
import { CodesView } from "./console_codes";
import { ManageView, SHOW } from "./console_manage";
import { PanesView } from "./console_panes";
import { SessionsView } from "./console_sessions";
import { field, h, replace, setText, show } from "./h";
import { copiedNotice } from "./session_invite_view";
import { acted, panelLost, type PanelState } from "./session_panel";
import { CONNECTION_LOST, Connection } from "./ws";
import type { ClientMessage, Query } from "./wire";

export function startConsole(root: HTMLElement): void {
  new ConsolePage(root);
}

interface QueryRow {
  el: HTMLElement;
  key: string;
  waiting: HTMLElement;
  offer: HTMLElement;
  data: Timed<Query>;
}

class ConsolePage {
  private state = initialConsole();
  private conn: Connection | null = null;
  private readonly lostBanner = h("div", { class: "banner", testid: "connection-lost", role: "alert", hidden: true }, CONNECTION_LOST);
  private readonly alert = h("div", { testid: "alert", role: "alert" });
  private readonly toast = h("div", { class: "toast", hidden: true }, this.alert,
    h("button", { type: "button", class: "secondary small", testid: "alert-dismiss", on: { click: () => this.set(dismissAlert(this.state)) } }, "Dismiss"));
  private readonly loginView: HTMLElement;
  private readonly loginError = h("p", { class: "form-error", testid: "login-error", role: "alert", hidden: true });
  private readonly loginSubmit = h("button", { type: "submit", testid: "login-submit" }, "Log in");
  private readonly mainView: HTMLElement;
  private readonly repName = h("span", { testid: "rep-name" });
  /** Administrators only: opens the management page. */
  private readonly manageOpen = h("button", { type: "button", class: "secondary small", id: "manage-open", testid: "manage-open", hidden: true, on: { click: () => this.openManage() } }, "Teams and policy");
  /** The console itself (hidden while the management page is open). */
  private readonly body: HTMLElement;
  private readonly manage: ManageView;
  private readonly accepting = h("input", { type: "checkbox", testid: "accepting" });
  /** Shown only while the console has taken requests. */
  private readonly requestsTitle = h("h2", { hidden: true }, "Your requests");
  private readonly queues = h("ul", { class: "queues", testid: "queues" });
  private readonly queryList = h("div", { class: "query-list", testid: "query-list" });
  private readonly noQueries = h("p", { class: "muted" }, "No one is waiting for you right now.");
  private readonly queryRows = new Map<number, QueryRow>();
  private readonly codes: CodesView;
  private readonly panes: PanesView;
  private readonly sessions: SessionsView;
  /** Each session panel's own connection, by panel id. */
  private readonly panelConns = new Map<number, Connection>();
  private audio: AudioContext | null = null;

  constructor(root: HTMLElement) {
    const user = h("input", { type: "text", testid: "login-user", autocomplete: "username", required: true });
    const password = h("input", { type: "password", testid: "login-password", autocomplete: "current-password", required: true });
    const portal = h("input", { type: "text", testid: "login-portal", value: "default" });
    this.loginView = h("form", { class: "card login", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      this.login(user.value.trim(), password.value, portal.value.trim());
    } } },
      h("h1", null, "Tandem console"),
      field("User name", user),
      field("Password", password),
      field("Portal", portal),
      this.loginSubmit,
      this.loginError,
    );
    this.accepting.addEventListener("change", () => this.send({ type: "set_accepting", accepting: this.accepting.checked }));
    this.codes = new CodesView({
      create: (customer, portal) => this.sendCode({ type: "create_code", customer, portal: portal ?? this.state.portal }),
      copy: (text, what) => void this.copy(text, what),
      email: (code, to, language) => this.sendCode({ type: "email_code", code, to, language }),
      cancel: (code) => this.sendCode({ type: "cancel_code", code }),
      openSession: (code, customer) => this.apply(openPanel(this.state, code, customer, null)),
    });
    this.panes = new PanesView({
      chat: (request, text) => this.send({ type: "web_chat", request, text }),
      escalate: (request) => {
        this.send({ type: "escalate_request", request });
        this.set(escalateSent(this.state, request, performance.now()));
      },
      close: (request, notes, outcome) => {
        this.send({ type: "close_request", request, notes, outcome });
        this.set(closeSent(this.state, request, performance.now()));
      },
      dismiss: (request) => this.set(dismissPane(this.state, request)),
      openSession: (request) => {
        const pane = this.state.taken.find((p) => p.request === request);
        if (pane?.code != null) this.apply(openPanel(this.state, pane.code.value.code, pane.customer, request));
      },
    });
    this.sessions = new SessionsView({
      act: (id, msg, after) => {
        const conn = this.panelConns.get(id);
        if (conn !== undefined && !conn.closed) conn.send(msg);
        // Notes outlive the panel's connection: the console's own may save them too.
        else if (msg.type === "save_notes") this.send(msg);
        else return;
        this.set(mapPanel(this.state, id, after));
      },
      copy: (id, text, what) => void this.copyForPanel(id, text, what),
      close: (id) => this.set(closePanel(this.state, id)),
      viewerTarget: () => ({ portalUrl: this.state.portalUrl, user: this.state.user }),
    });
    this.manage = new ManageView({
      send: (msg) => {
        this.send(msg);
        this.set(manageSent(this.state));
      },
      close: () => this.set(closeManagement(this.state)),
    });
    this.body = h("div", { class: "console-body" },
      h("div", { class: "columns" },
        h("section", { class: "card list-view", "aria-labelledby": "list-title" },
          h("h2", { id: "list-title" }, "Waiting customers"),
          h("label", { class: "check" }, this.accepting, " Take queue requests"),
          this.queues,
          this.noQueries,
          this.queryList),
        this.codes.el),
      this.requestsTitle,
      this.panes.el,
      this.sessions.el);
    this.mainView = h("div", { class: "console", hidden: true },
      h("header", { class: "top" }, h("h1", null, "Tandem console"),
        h("p", null, "Logged in as ", this.repName, " ", this.manageOpen)),
      this.body,
      this.manage.el,
    );
    document.body.dataset.alerts = "0";
    replace(root, h("div", { class: "page console-page" }, this.lostBanner, this.toast, this.loginView, this.mainView));
    window.setInterval(() => this.tick(), 1000);
    window.addEventListener("pagehide", () => {
      this.conn?.close();
      for (const conn of this.panelConns.values()) conn.close();
    });
  }

  private login(user: string, password: string, portal: string): void {
    if (user === "" || password === "") {
      show(this.loginError, true);
      setText(this.loginError, "Please enter your user name and password.");
      return;
    }
    if (this.conn === null || this.conn.closed) {
      this.conn = new Connection({
        message: (msg) => this.apply(consoleUpdate(this.state, msg, performance.now())),
        closed: () => this.set(connectionLost(this.state)),
      });
    }
    const chosen = portal === "" ? null : portal;
    this.conn.send({ type: "login", user, password, portal: chosen });
    this.set(loginSent(this.state, chosen, user));
  }

  /** The management page: shown at once, filled when the portal answers. */
  private openManage(): void {
    const next = openManagement(this.state);
    if (!next.managing) return;
    this.send(SHOW);
    this.set(next);
  }

  private send(msg: ClientMessage): void {
    this.conn?.send(msg);
  }

  private sendCode(msg: ClientMessage): void {
    this.send(msg);
    this.set(codeSent(this.state));
  }

  private set(next: ConsoleState): void {
    this.state = next;
    // A panel that is gone (closed, or its request's pane removed) keeps no connection.
    for (const [id, conn] of this.panelConns) {
      if (!next.panels.some((p) => p.id === id)) {
        conn.close();
        this.panelConns.delete(id);
      }
    }
    this.render();
  }

  private apply([next, effects]: [ConsoleState, Effect[]]): void {
    this.set(next);
    for (const effect of effects) this.perform(effect);
  }

  /** Panel `id`'s own connection: it presents `ticket` and then acts as the session's host. */
  private openPanelConnection(id: number, ticket: string): void {
    const conn = new Connection({
      message: (msg) => {
        this.set(panelMessage(this.state, id, msg, performance.now()));
        if (msg.type === "signal") this.sessions.signal(id, msg.from, msg.payload);
        // The code was used: the Codes list shows only codes still waiting for a customer.
        if (msg.type === "joined") this.send({ type: "list_codes" });
      },
      closed: () => {
        this.panelConns.delete(id);
        this.set(mapPanel(this.state, id, panelLost));
      },
    });
    this.panelConns.set(id, conn);
    conn.send({ type: "open_session_panel", ticket });
  }

  private async copyForPanel(id: number, text: string, what: string): Promise<void> {
    let ok = true;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      ok = false;
    }
    this.set(mapPanel(this.state, id, (p: PanelState) => acted(p, copiedNotice(what, ok, text))));
  }

  private perform(effect: Effect): void {
    switch (effect.kind) {
      case "logged_in":
        if (typeof Notification !== "undefined" && Notification.permission === "default") {
          Notification.requestPermission().catch(() => undefined);
        }
        // Joining the desk: the List View starts now, taking queue requests by default
        // (the checkbox turns that off).
        this.send({ type: "set_accepting", accepting: true });
        this.send({ type: "list_codes" });
        break;
      case "panel_ticket":
        this.send({ type: "panel_ticket", code: effect.code });
        break;
      case "open_panel":
        this.openPanelConnection(effect.panel, effect.ticket);
        break;
      case "focus_panel":
        this.sessions.focus(effect.panel);
        break;
      case "new_query":
        // When the last alert went off (the end-to-end tests measure submit → alert).
        document.body.dataset.lastAlertAt = String(Date.now());
        this.beep();
        if (typeof Notification !== "undefined" && Notification.permission === "granted") {
          const { title, body } = queryNotification(effect.query);
          try {
            new Notification(title, { body, tag: `query-${effect.query.request}` });
          } catch {
            // Some browsers only allow notifications from a service worker.
          }
        }
        break;
    }
  }

  /** A short beep through WebAudio, where the browser has it. */
  private beep(): void {
    try {
      if (typeof AudioContext === "undefined") return;
      this.audio ??= new AudioContext();
      const ctx = this.audio;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch {
      // No sound is no reason to miss the rest of the alert.
    }
  }

  private async copy(text: string, what: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.codes.setStatus(`${what} copied.`);
    } catch {
      this.codes.setStatus(`${what} could not be copied here. Select it and copy it by hand: ${text}`);
    }
  }

  private render(): void {
    const s = this.state;
    const now = performance.now();
    show(this.lostBanner, s.lost);
    show(this.toast, s.alert !== null);
    setText(this.alert, s.alert ?? "");
    document.body.dataset.alerts = String(s.alerts);
    const loggedIn = s.name !== null;
    show(this.loginView, !loggedIn);
    show(this.mainView, loggedIn);
    this.loginSubmit.disabled = s.loggingIn;
    show(this.loginError, s.loginError !== null);
    setText(this.loginError, s.loginError ?? "");
    if (!loggedIn) return;
    setText(this.repName, s.name ?? "");
    document.title = `Tandem console — ${s.name ?? ""}`;
    show(this.manageOpen, s.admin && !s.managing);
    show(this.body, !s.managing);
    this.manage.render(s);
    this.accepting.checked = s.accepting;
    this.accepting.disabled = s.lost;
    replace(this.queues, ...s.queues.map((q) =>
      h("li", null, `Queue on portal “${q.portal}”: `, h("strong", { testid: `queue-length-${q.portal}` }, q.waiting), " waiting")));
    this.renderQueries(s, now);
    this.codes.render(s, now);
    this.panes.render(s, now);
    show(this.requestsTitle, s.taken.length > 0);
    this.sessions.render(s, now, (request) => this.panes.sessionSlot(request));
  }

  private renderQueries(s: ConsoleState, now: number): void {
    show(this.noQueries, s.queries.length === 0);
    const wanted = new Set(s.queries.map((q) => q.value.request));
    for (const [request, row] of this.queryRows) {
      if (!wanted.has(request)) {
        row.el.remove();
        this.queryRows.delete(request);
      }
    }
    let before: Element | null = this.queryList.firstElementChild;
    for (const q of s.queries) {
      const key = JSON.stringify({ ...q.value, waiting_secs: 0, offer_expires_in_secs: 0 });
      let row = this.queryRows.get(q.value.request);
      if (row === undefined || row.key !== key) {
        const fresh = this.buildQuery(q, key);
        if (row !== undefined) row.el.replaceWith(fresh.el);
        row = fresh;
        this.queryRows.set(q.value.request, row);
      }
      row.data = q;
      if (row.el !== before) this.queryList.insertBefore(row.el, before);
      before = row.el.nextElementSibling;
    }
    this.tickQueries(now);
  }

  private buildQuery(q: Timed<Query>, key: string): QueryRow {
    const query = q.value;
    const waiting = h("span", { class: "waiting", testid: "waiting" });
    const offer = h("span", { class: "offer", testid: "offer" });
    const el = h("div", { class: "query", testid: `query-${query.request}` },
      h("div", { class: "query-head" },
        h("strong", { class: "customer" }, query.customer),
        h("span", { class: "muted" }, ` on ${query.portal}`),
        " ", waiting, " ", offer),
      query.question.trim() === "" ? null : h("p", { class: "question" }, query.question),
      query.fields.length === 0 ? null : h("ul", { class: "fields" },
        // Optional fields the customer left empty say nothing.
        ...query.fields.filter((f) => f.value !== "").map((f) => h("li", null, `${f.label}: ${f.value}`))),
      h("button", { type: "button", testid: `accept-${query.request}`, on: { click: () => this.send({ type: "accept_request", request: query.request }) } }, "Accept"),
    );
    return { el, key, waiting, offer, data: q };
  }

  private tickQueries(now: number): void {
    for (const row of this.queryRows.values()) {
      setText(row.waiting, waitingText(row.data, now));
      const offer = offerText(row.data, now);
      show(row.offer, offer !== null);
      setText(row.offer, offer ?? "");
    }
  }

  private tick(): void {
    if (this.state.name === null) return;
    const now = performance.now();
    this.tickQueries(now);
    this.codes.tick(now);
    this.panes.tick(now);
    this.sessions.tick(now);
  }
}
