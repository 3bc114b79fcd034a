// The console's reports page (for representatives an administrator allowed to see reports):
// a filter form — days, representative, portal, team, outcome — and the sessions it matches,
// one row each with what happened in it, and the same as a CSV download. The form's values
// become the request in reports.ts; the portal decides whose sessions a report may show and
// answers with a `report` message, or an error shown at the top (#report-error).
//
// A recorded session has a "Watch recording" button: it asks for the recording's address
// (replay.ts), and the replay (console_replay.ts) then shows in place of the report until it
// is closed.

import type { ConsoleState } from "./console";
import { ReplayView } from "./console_replay";
import { field, h, replace, setText, show } from "./h";
import { indented, teamTree } from "./policy";
import { watchLabel } from "./recording";
import {
  actionWords,
  CSV_FILE,
  eventActor,
  eventsCount,
  localDateTime,
  localTime,
  OUTCOMES,
  outcomeWords,
  reportSummary,
  sessionDuration,
  TRUNCATED_NOTE,
  type ReportForm,
} from "./reports";
import type { ManagementView, ReportView, SessionReport } from "./wire";

export interface ReportActions {
  /** Ask for the report the form describes. */
  run(form: ReportForm): void;
  /** Ask for the recording of `session` to watch it. */
  watch(session: number): void;
  /** Back to the report from a recording. */
  closeReplay(): void;
  /** Back to the console. */
  close(): void;
}

export class ReportsView {
  readonly el: HTMLElement;
  private readonly from = h("input", { type: "date", id: "report-from", testid: "report-from" });
  private readonly to = h("input", { type: "date", id: "report-to", testid: "report-to" });
  private readonly rep = h("input", { type: "text", id: "report-rep", testid: "report-rep", maxlength: 64, autocomplete: "off", placeholder: "User name, or any", spellcheck: "false" });
  private readonly portal = h("input", { type: "text", id: "report-portal", testid: "report-portal", maxlength: 40, autocomplete: "off", placeholder: "Any" });
  private readonly team = h("select", { id: "report-team", testid: "report-team" });
  private readonly teamField: HTMLElement;
  private readonly outcome = h("select", { id: "report-outcome", testid: "report-outcome" },
    ...OUTCOMES.map(([value, label]) => h("option", { value }, label)));
  private readonly runButton = h("button", { type: "submit", id: "report-run", testid: "report-run" }, "Show sessions");
  private readonly error = h("p", { id: "report-error", class: "form-error", testid: "report-error", role: "alert", hidden: true });
  private readonly status = h("p", { id: "report-status", class: "muted", testid: "report-status", role: "status" });
  private readonly truncated = h("p", { id: "report-truncated", class: "notice", testid: "report-truncated", hidden: true }, TRUNCATED_NOTE);
  private readonly csv = h("a", { id: "report-csv", class: "button secondary", testid: "report-csv", download: CSV_FILE, hidden: true }, "Download CSV");
  private readonly table = h("div", { class: "table-wrap", testid: "report-table" });
  /** The filter and the results: hidden while a recording is replayed. */
  private readonly reportCards: HTMLElement;
  private readonly replay: ReplayView;
  /** What the results and the team choices were last drawn from. */
  private shown: ReportView | null = null;
  private shownTeams: ManagementView | null | undefined = undefined;
  /** The CSV's Blob URL, revoked when the report it belongs to goes. */
  private csvUrl: string | null = null;

  constructor(private readonly actions: ReportActions) {
    this.teamField = field("Team", this.team);
    this.replay = new ReplayView(() => this.actions.closeReplay());
    const form = h("form", { class: "report-form", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      this.actions.run(this.form());
    } } },
      h("div", { class: "filters" },
        field("From", this.from),
        field("To (including that day)", this.to),
        field("Representative", this.rep),
        field("Portal", this.portal),
        this.teamField,
        field("Outcome", this.outcome)),
      h("div", { class: "actions" }, this.runButton));
    this.reportCards = h("div", { class: "report-cards" },
      h("section", { class: "card", "aria-labelledby": "report-filter-title" },
        h("h3", { id: "report-filter-title" }, "Which sessions"),
        h("p", { class: "muted" }, "Sessions started on the days chosen (UTC days), newest first, with what happened in them. You see the sessions an administrator allowed you to see."),
        form,
        this.error),
      h("section", { class: "card", "aria-labelledby": "report-results-title" },
        h("div", { class: "pane-head" }, h("h3", { id: "report-results-title" }, "Sessions"), this.csv),
        this.status,
        this.truncated,
        this.table));
    this.el = h("div", { class: "reports", testid: "reports", hidden: true },
      h("div", { class: "pane-head" },
        h("h2", null, "Session reports"),
        h("button", { type: "button", class: "secondary", id: "reports-close", testid: "reports-close", on: { click: () => this.actions.close() } }, "Back to the console")),
      this.reportCards,
      this.replay.el);
  }

  /** The form's values now. */
  form(): ReportForm {
    return {
      from: this.from.value,
      to: this.to.value,
      rep: this.rep.value,
      portal: this.portal.value,
      team: this.team.value,
      outcome: this.outcome.value,
    };
  }

  /** Puts `form` into the controls (the page opening with its default days). */
  setForm(form: ReportForm): void {
    this.from.value = form.from;
    this.to.value = form.to;
    this.rep.value = form.rep;
    this.portal.value = form.portal;
    this.team.value = form.team;
    this.outcome.value = form.outcome;
  }

  render(s: ConsoleState): void {
    show(this.el, s.reporting);
    show(this.error, s.reportError !== null);
    setText(this.error, s.reportError ?? "");
    this.runButton.disabled = s.reportPending;
    this.renderTeams(s.management);
    const replay = s.reporting ? s.replay : null;
    this.replay.render(replay);
    show(this.reportCards, replay === null);
    const report = s.report;
    setText(this.status, s.reportPending ? "Loading…" : report === null ? "" : reportSummary(report.sessions.length, report.truncated));
    show(this.truncated, report !== null && report.truncated);
    if (report !== this.shown) this.renderReport(report);
    this.renderWatch(s);
  }

  /** The results: the CSV link and the table. */
  private renderReport(report: ReportView | null): void {
    this.shown = report;
    if (this.csvUrl !== null) URL.revokeObjectURL(this.csvUrl);
    this.csvUrl = null;
    if (report !== null && report.sessions.length > 0) {
      this.csvUrl = URL.createObjectURL(new Blob([report.csv], { type: "text/csv;charset=utf-8" }));
      this.csv.href = this.csvUrl;
    } else {
      this.csv.removeAttribute("href");
    }
    show(this.csv, this.csvUrl !== null);
    replace(this.table, report === null || report.sessions.length === 0 ? null : this.sessionsTable(report.sessions));
  }

  /** The watch buttons wait while a recording is asked for (and without a connection). */
  private renderWatch(s: ConsoleState): void {
    for (const button of this.table.querySelectorAll<HTMLButtonElement>("button.watch-recording")) {
      button.disabled = s.recordingPending !== null || s.lost;
    }
  }

  /** The team filter, from the last management state; hidden when there is none. */
  private renderTeams(view: ManagementView | null): void {
    if (view === this.shownTeams) return;
    this.shownTeams = view;
    const teams = view?.teams ?? [];
    show(this.teamField, teams.length > 0);
    const chosen = this.team.value;
    replace(this.team, h("option", { value: "" }, "Any team"),
      ...teamTree(teams).map(({ team, depth }) => h("option", { value: String(team.id) }, indented(team.name, depth))));
    this.team.value = teams.some((t) => String(t.id) === chosen) ? chosen : "";
  }

  private sessionsTable(sessions: readonly SessionReport[]): HTMLElement {
    const head = ["Started", "Representative", "Customer", "Portal", "Duration", "Outcome", "What happened"];
    return h("table", { class: "policy report" },
      h("thead", null, h("tr", null, ...head.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", null, ...sessions.map((s) => this.sessionRow(s))));
  }

  private sessionRow(s: SessionReport): HTMLElement {
    return h("tr", { "data-session": String(s.id) },
      h("td", { class: "when" }, h("time", { datetime: new Date(s.started_at * 1000).toISOString() }, localDateTime(s.started_at))),
      h("th", { scope: "row", class: "member" }, s.rep_name, h("span", { class: "user muted" }, s.rep)),
      h("td", null, s.customer),
      h("td", null, s.portal),
      h("td", { class: s.ended_at === null ? "duration running" : "duration" }, sessionDuration(s)),
      h("td", { class: s.outcome === null ? "outcome muted" : "outcome" }, outcomeWords(s.outcome)),
      h("td", { class: "events" }, this.watchButton(s), this.details(s)));
  }

  /** "Watch recording (3:10, 1.4 MB)" for a recorded session. */
  private watchButton(s: SessionReport): HTMLElement | null {
    const recording = s.recording;
    if (recording == null) return null;
    return h("button", {
      type: "button", class: "secondary small watch-recording", testid: "watch-recording", "data-session": String(s.id),
      on: { click: () => this.actions.watch(s.id) },
    }, watchLabel(recording));
  }

  /** The session's events, end and notes, folded away under "3 events". */
  private details(s: SessionReport): HTMLElement {
    const ended = s.end_reason === null || s.end_reason === "" ? null : h("p", null, h("strong", null, "Ended: "), s.end_reason);
    const notes = s.notes === null || s.notes === "" ? null : h("p", { class: "notes" }, h("strong", null, "Notes: "), s.notes);
    if (s.events.length === 0 && ended === null && notes === null) return h("span", { class: "muted" }, "No events");
    return h("details", null,
      h("summary", null, eventsCount(s.events.length)),
      s.events.length === 0 ? null : h("ol", { class: "event-list" }, ...s.events.map((e) => {
        const actor = eventActor(e);
        return h("li", { "data-action": e.action },
          h("time", { datetime: new Date(e.at * 1000).toISOString() }, localTime(e.at)), " ",
          h("strong", null, actionWords(e.action)),
          e.detail === "" ? null : ` ${e.detail}`,
          actor === null ? null : h("span", { class: "muted" }, ` — by ${actor}`));
      })),
      ended,
      notes);
  }
}
