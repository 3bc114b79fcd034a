// The representative console (`/console`): the login form (with the authenticator app's code
// when the portal asks for it), then the List View of incoming queries, the codes view, the
// panes of taken requests and the session panels (or, instead, the management page, the
// reports page or the Account page). The logic is
// in console.ts and session_panel.ts; this shell draws it, runs the one-second clock for the
// live counters, performs the effects (beep, desktop notification, panel tickets) and keeps
// one connection per session panel.

import { factorInvalid, factorSent, loginInvalid, loginRequest, OTP_LABEL, sentence } from "./account";
import {
  closeAccount,
  closeManagement,
  closePanel,
  closeSent,
  codeSent,
  closeReports,
  connectionLost,
  consoleUpdate,
  dismissAdded,
  dismissAlert,
  dismissPane,
  escalateSent,
  initialConsole,
  loginSent,
  manageSent,
  mapPanel,
  offerText,
  openAccount,
  openManagement,
  openPanel,
  openReports,
  panelMessage,
  queryNotification,
  reportInvalid,
  reportSent,
  waitingText,
  type ConsoleState,
  type Effect,
  type Timed,
} from "./console";
import { AccountView } from "./console_account";
import { CodesView } from "./console_codes";
import { ManageView, SHOW } from "./console_manage";
import { PanesView } from "./console_panes";
import { ReportsView } from "./console_reports";
import { SessionsView } from "./console_sessions";
import { field, h, replace, setText, show } from "./h";
import { closeReplay, recordingAsked, recordingRequest } from "./replay";
import { defaultForm, formRequest, type ReportForm } from "./reports";
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
  /** The form's secrets: read when sending, emptied after a successful login, kept nowhere else. */
  private readonly password = h("input", { type: "password", testid: "login-password", autocomplete: "current-password", required: true });
  private readonly otp = h("input", {
    type: "text", id: "login-otp", testid: "login-otp", inputmode: "numeric", autocomplete: "one-time-code",
    maxlength: 9, spellcheck: "false", "aria-describedby": "login-otp-prompt",
  });
  /** The code field and what the portal said when it asked for it (shown once it asks). */
  private readonly otpPrompt = h("p", { id: "login-otp-prompt", class: "notice", testid: "login-otp-prompt", role: "status" });
  private readonly otpField: HTMLElement;
  private readonly mainView: HTMLElement;
  /** The page: wider while the management page's tables are shown. */
  private readonly page: HTMLElement;
  private readonly repName = h("span", { testid: "rep-name" });
  /** Administrators and team managers only: opens the management page. */
  private readonly manageOpen = h("button", { type: "button", class: "secondary small", id: "manage-open", testid: "manage-open", hidden: true, on: { click: () => this.openManage() } }, "Teams and policy");
  /** Those allowed to see reports only: opens the reports page. */
  private readonly reportsOpen = h("button", { type: "button", class: "secondary small", id: "reports-open", testid: "reports-open", hidden: true, on: { click: () => this.openReports() } }, "Session reports");
  /** Everyone logged in: opens the Account page (the second factor). */
  private readonly accountOpen = h("button", { type: "button", class: "secondary small", id: "account-open", testid: "account-open", on: { click: () => this.set(openAccount(this.state)) } }, "Account");
  /** The console itself (hidden while the management or reports page is open). */
  private readonly body: HTMLElement;
  private readonly manage: ManageView;
  private readonly reports: ReportsView;
  private readonly account: AccountView;
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
  /** The page's title before anyone logged in (again once the sign-in ends). */
  private readonly title = document.title;

  constructor(root: HTMLElement) {
    const user = h("input", { type: "text", testid: "login-user", autocomplete: "username", required: true });
    const portal = h("input", { type: "text", testid: "login-portal", value: "default" });
    this.otpField = h("div", { class: "login-otp", hidden: true }, this.otpPrompt, field(OTP_LABEL, this.otp));
    this.loginView = h("form", { class: "card login", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      this.login(user.value, portal.value);
    } } },
      h("h1", null, "Tandem console"),
      field("User name", user),
      field("Password", this.password),
      field("Portal", portal),
      this.otpField,
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
        this.set(manageSent(this.state, msg));
      },
      dismissAdded: () => this.set(dismissAdded(this.state)),
      close: () => this.set(closeManagement(this.state)),
    });
    this.reports = new ReportsView({
      run: (form) => this.runReport(form),
      watch: (session) => {
        this.send(recordingRequest(session));
        this.set(recordingAsked(this.state, session));
      },
      closeReplay: () => this.set(closeReplay(this.state)),
      close: () => this.set(closeReports(this.state)),
    });
    this.account = new AccountView({
      send: (msg) => {
        this.send(msg);
        this.set(factorSent(this.state));
      },
      invalid: (why) => this.set(factorInvalid(this.state, why)),
      close: () => this.set(closeAccount(this.state)),
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
        h("p", { class: "top-menu" }, "Logged in as ", this.repName, " ", this.manageOpen, " ", this.reportsOpen, " ", this.accountOpen)),
      this.body,
      this.manage.el,
      this.reports.el,
      this.account.el,
    );
    this.page = h("div", { class: "page console-page" }, this.lostBanner, this.toast, this.loginView, this.mainView);
    document.body.dataset.alerts = "0";
    replace(root, this.page);
    window.setInterval(() => this.tick(), 1000);
    window.addEventListener("pagehide", () => {
      this.conn?.close();
      for (const conn of this.panelConns.values()) conn.close();
    });
  }

  /** Sends the login (with the code once the portal asked for it), on a new connection if need be. */
  private login(user: string, portal: string): void {
    const msg = loginRequest(user, this.password.value, portal, this.state.otpNeeded ? this.otp.value : null);
    if (typeof msg === "string") {
      this.set(loginInvalid(this.state, msg));
      (this.state.otpNeeded ? this.otp : this.password).focus();
      return;
    }
    if (this.conn === null || this.conn.closed) {
      this.conn = new Connection({
        message: (msg) => this.apply(consoleUpdate(this.state, msg, performance.now())),
        closed: () => this.set(connectionLost(this.state)),
      });
    }
    this.conn.send(msg);
    this.set(loginSent(this.state, msg.portal, msg.user));
  }

  /** The management page: shown at once, filled when the portal answers. */
  private openManage(): void {
    const next = openManagement(this.state);
    if (!next.managing) return;
    this.send(SHOW);
    this.set(next);
  }

  /**
   * The reports page: the last seven days at once. Managers and administrators get the
   * management state too when the console has none yet, for the team filter.
   */
  private openReports(): void {
    const next = openReports(this.state);
    if (!next.reporting) return;
    this.set(next);
    if ((next.admin || next.manager) && next.management === null) this.send(SHOW);
    const form = defaultForm(Date.now());
    this.reports.setForm(form);
    this.runReport(form);
  }

  private runReport(form: ReportForm): void {
    const msg = formRequest(form);
    if (typeof msg === "string") {
      this.set(reportInvalid(this.state, msg));
      return;
    }
    this.send(msg);
    this.set(reportSent(this.state));
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
        // The password and the code have done their work: off the page.
        this.password.value = "";
        this.otp.value = "";
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
    const asking = !this.otpField.hidden;
    show(this.otpField, s.otpNeeded);
    setText(this.otpPrompt, sentence(s.otpPrompt ?? ""));
    show(this.otpPrompt, s.otpPrompt !== null);
    if (!loggedIn) {
      if (s.otpNeeded && !asking) this.otp.focus();
      document.title = this.title;
      return;
    }
    setText(this.repName, s.name ?? "");
    document.title = `Tandem console — ${s.name ?? ""}`;
    show(this.manageOpen, (s.admin || s.manager) && !s.managing);
    show(this.reportsOpen, s.reportsAllowed && !s.reporting);
    show(this.accountOpen, !s.accountOpen);
    show(this.body, !s.managing && !s.reporting && !s.accountOpen);
    this.page.classList.toggle("wide", s.managing || (s.reporting && s.replay !== null));
    this.manage.render(s);
    this.reports.render(s);
    this.account.render(s);
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
