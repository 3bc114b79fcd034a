// Session reports, without the DOM: the filter form's values become a report request (days
// as Unix seconds at UTC midnight, the last day inclusive), and a report's sessions and
// events become words for the table. console_reports.ts draws the page; console.ts keeps its
// state. The portal decides whose sessions a report may show.

import { manage, teamOf } from "./policy";
import type { ClientMessage, ReportEvent, ReportFilter, ReportOutcome, SessionReport } from "./wire";

/** One day in seconds. */
export const DAY_SECS = 86_400;

/** How many days the page shows when it opens (today and the six before). */
export const DEFAULT_DAYS = 7;

/** The filter form's values, as its controls hold them ("" is "any"). */
export interface ReportForm {
  /** "YYYY-MM-DD" (a date input's value) or "". */
  readonly from: string;
  readonly to: string;
  readonly rep: string;
  readonly portal: string;
  /** A team id, or "". */
  readonly team: string;
  /** "resolved", "unresolved", "none", or "". */
  readonly outcome: string;
}

/** The outcome select's choices, "" first (any). */
export const OUTCOMES: ReadonlyArray<readonly [string, string]> = [
  ["", "Any outcome"],
  ["resolved", "Resolved"],
  ["unresolved", "Unresolved"],
  ["none", "Not recorded"],
];

/** "YYYY-MM-DD" as Unix seconds at that day's UTC midnight; null when it is no date. */
export function dayStart(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // 2026-02-30 would roll over into March: not a date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / 1000;
}

/** Unix seconds as the UTC day they fall in, "YYYY-MM-DD" (what a date input holds). */
export function dayOf(unixSecs: number): string {
  return new Date(unixSecs * 1000).toISOString().slice(0, 10);
}

/** The form's dates for the last `days` days up to today (UTC), today included. */
export function lastDays(nowMs: number, days = DEFAULT_DAYS): { from: string; to: string } {
  const today = Math.floor(nowMs / 1000 / DAY_SECS) * DAY_SECS;
  return { from: dayOf(today - (days - 1) * DAY_SECS), to: dayOf(today) };
}

/** The form with only the last `days` days set. */
export function defaultForm(nowMs: number, days = DEFAULT_DAYS): ReportForm {
  return { ...lastDays(nowMs, days), rep: "", portal: "", team: "", outcome: "" };
}

const isOutcome = (v: string): v is ReportOutcome => v === "resolved" || v === "unresolved" || v === "none";

/**
 * The filter the form asks for, or what is wrong with it (a sentence for the page). Empty
 * fields are left out (the portal reads that as "any"); "to" names the last day shown, so
 * the filter says the next UTC midnight.
 */
export function reportFilter(form: ReportForm): ReportFilter | string {
  const filter: ReportFilter = {};
  if (form.from.trim() !== "") {
    const from = dayStart(form.from);
    if (from === null) return "The first day is not a date.";
    filter.from = from;
  }
  if (form.to.trim() !== "") {
    const to = dayStart(form.to);
    if (to === null) return "The last day is not a date.";
    filter.to = to + DAY_SECS;
  }
  if (filter.from != null && filter.to != null && filter.from >= filter.to) return "The first day is after the last.";
  const team = teamOf(form.team);
  if (team !== null) filter.team = team;
  const rep = form.rep.trim();
  if (rep !== "") filter.rep = rep;
  const portal = form.portal.trim();
  if (portal !== "") filter.portal = portal;
  if (isOutcome(form.outcome)) filter.outcome = form.outcome;
  return filter;
}

/** The report request for `filter`. */
export function reportRequest(filter: ReportFilter): ClientMessage {
  return manage({ op: "report", ...filter });
}

/** The form's request, or what is wrong with the form. */
export function formRequest(form: ReportForm): ClientMessage | string {
  const filter = reportFilter(form);
  return typeof filter === "string" ? filter : reportRequest(filter);
}

/** A length of time in words: "55 s", "9 min 55 s", "1 h 5 min". Negative counts as 0. */
export function spokenDuration(secs: number): string {
  const total = Math.max(0, Math.floor(secs));
  const h = Math.floor(total / 3600);
  const m = Math.floor(total / 60) % 60;
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

/** How long a session took, or "running" while it has not ended. */
export function sessionDuration(s: Pick<SessionReport, "started_at" | "ended_at">): string {
  return s.ended_at === null ? "running" : spokenDuration(s.ended_at - s.started_at);
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** Unix seconds as local date and time, "2026-11-30 14:05". */
export function localDateTime(unixSecs: number): string {
  const d = new Date(unixSecs * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Unix seconds as local time of day, "14:05:09". */
export function localTime(unixSecs: number): string {
  const d = new Date(unixSecs * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The audit trail's action names in words. */
const ACTION_WORDS: Readonly<Record<string, string>> = {
  "attendee.join": "joined",
  "attendee.leave": "left",
  "rights.change": "rights changed",
  "file.transfer": "file",
  "folder.listing": "folder looked at",
  reboot: "reboot",
  "session.start": "started",
  "session.end": "ended",
};

/** An event's action in words ("joined"); an action this app does not know stays as it is. */
export function actionWords(action: string): string {
  return Object.hasOwn(ACTION_WORDS, action) ? (ACTION_WORDS[action] ?? action) : action;
}

/** Who did it, for an event line: null when the trail names nobody ("-"). */
export function eventActor(e: ReportEvent): string | null {
  const actor = e.actor.trim();
  return actor === "" || actor === "-" ? null : actor;
}

/** A session's outcome in words. */
export function outcomeWords(outcome: string | null): string {
  switch (outcome) {
    case null:
      return "not recorded";
    case "resolved":
      return "Resolved";
    case "unresolved":
      return "Unresolved";
    default:
      return outcome;
  }
}

/** "1 event" / "12 events". */
export function eventsCount(n: number): string {
  return n === 1 ? "1 event" : `${n} events`;
}

/** What the page says above the table. */
export function reportSummary(sessions: number, truncated: boolean): string {
  if (sessions === 0) return "No sessions match.";
  if (truncated) return `Showing the first ${sessions === 1 ? "session" : `${sessions} sessions`}.`;
  return sessions === 1 ? "1 session matches." : `${sessions} sessions match.`;
}

/** The note shown when the portal cut the report. */
export const TRUNCATED_NOTE = "More sessions match than one report holds: narrow the filter (fewer days, one representative or portal) to see them all.";

/** The downloaded file's name. */
export const CSV_FILE = "tandem-sessions.csv";
