// The console's management page (administrators and team managers): teams and their
// nesting, who is in which team, the functions withheld per team, per representative and per
// portal, who manages which teams with which powers, and new representatives. Every table is
// drawn from the latest `management` message; every control sends its manage request at once
// (policy.ts builds them) and the portal answers with the new state, or an error shown at the
// top (#manage-error) — then the tables are drawn again from the last state, so a refused
// change does not stay ticked.
//
// A team manager sees only their teams and the people in them, no portals and no manager
// settings; without the "change_functions" power the settings show read-only, and the form
// for new representatives needs "add_reps" (policy.ts's pageAccess).
//
// Administrators, and managers with "add_reps", may sign someone out everywhere and reset
// their sign-in (a new password shown once in the same notice as a new account's, and their
// second factor off); the reset asks for a second click first.

import { resetWords, type AddedNotice } from "./account";
import type { ConsoleState } from "./console";
import { field, h, replace, setText, show } from "./h";
import {
  accessRequest,
  addRepRequest,
  addTeamRequest,
  functionLabel,
  inForceText,
  managesAfter,
  manage,
  mayManageAccount,
  moveTeamRequest,
  newTeamParents,
  pageAccess,
  parentChoices,
  POWERS,
  powerLabel,
  powersAfter,
  RECORDING_HINT,
  resetSignInRequest,
  setTeamRequest,
  signOutRequest,
  teamChoices,
  teamTree,
  toggleRequest,
  type Choice,
  type PageAccess,
} from "./policy";
import type { ClientMessage, FunctionName, ManagementView, MemberView, PolicyScope, TeamView } from "./wire";

export interface ManageActions {
  /** Send a manage request (the page waits for its answer). */
  send(msg: ClientMessage): void;
  /** Put the first-password notice away. */
  dismissAdded(): void;
  /** Back to the console. */
  close(): void;
}

/** The one sentence that says how the settings combine. */
export const IN_FORCE_RULE =
  "What is in force for a representative is the most restrictive of their own, their team's (and every team above it) and the portal's settings; changes apply to running sessions at once.";

const CHECKED_MEANS = "A ticked box allows the function; an unticked one withholds it.";

/** What a team manager reads at the top of the page. */
export function managerNote(powers: readonly string[]): string {
  const given = POWERS.filter(([name]) => powers.includes(name)).map(([name]) => powerLabel(name));
  const may = given.length === 0 ? "An administrator has given you no powers yet." : `An administrator allowed you: ${given.join(", ")}.`;
  const readOnly = powers.includes("change_functions") ? "" : " The settings below are shown read-only.";
  return `You see the teams you manage (with their subteams) and the representatives in them. ${may}${readOnly}`;
}

/** The one-time-password notice's words before and after the password (a new account, or a reset). */
export function addedWords(added: AddedNotice): [string, string] {
  if (added.reset === true) return resetWords(added.user);
  return [`${added.user} was added. First password: `, " — give it to them now; it is not shown again."];
}

/** A select of `choices` showing `value` (added as "(another team)" when not among them). */
function select(attrs: Record<string, unknown>, choices: readonly Choice[], value: string): HTMLSelectElement {
  const all = choices.some((c) => c.value === value) ? choices : [{ value, label: "(another team)" }, ...choices];
  const el = h("select", attrs, ...all.map((c) => h("option", { value: c.value }, c.label)));
  el.value = value;
  return el;
}

export class ManageView {
  readonly el: HTMLElement;
  private readonly error = h("p", { id: "manage-error", class: "form-error", testid: "manage-error", role: "alert", hidden: true });
  private readonly loading = h("p", { class: "muted", testid: "manage-loading" }, "Loading…");
  private readonly scopeNote = h("p", { id: "manage-scope", class: "notice", testid: "manage-scope", hidden: true });
  private readonly teamName = h("input", { type: "text", id: "team-name", testid: "team-name", maxlength: 100, autocomplete: "off" });
  private readonly teamParent = h("select", { id: "team-parent", testid: "team-parent" });
  private readonly teamForm: HTMLFormElement;
  private readonly repUser = h("input", { type: "text", id: "rep-user", testid: "rep-user", maxlength: 64, autocomplete: "off", spellcheck: "false" });
  private readonly repName = h("input", { type: "text", id: "rep-name", testid: "rep-name", maxlength: 100, autocomplete: "off" });
  private readonly repTeam = h("select", { id: "rep-team", testid: "rep-team" });
  private readonly repError = h("p", { id: "rep-error", class: "form-error", testid: "rep-error", role: "alert", hidden: true });
  private readonly repForm: HTMLFormElement;
  private readonly added = h("div", { id: "rep-added", class: "notice added", testid: "rep-added", role: "status", hidden: true });
  /** What a sign_out's answer says. */
  private readonly notice = h("p", { id: "manage-notice", class: "notice", testid: "manage-notice", role: "status", hidden: true });
  private readonly teams = h("div", { class: "table-wrap", testid: "manage-teams" });
  private readonly members = h("div", { class: "table-wrap", testid: "manage-members" });
  private readonly portals = h("div", { class: "table-wrap", testid: "manage-portals" });
  private readonly portalsSection: HTMLElement;
  /** Under the tables, while the portal offers the recording functions. */
  private readonly recordingHint = h("p", { class: "muted policy-hint", testid: "recording-hint", hidden: true }, RECORDING_HINT);
  private readonly sections: HTMLElement;
  /** What the tables were last drawn from. */
  private shown: ManagementView | null = null;
  private shownError: string | null = null;
  private shownAdded: AddedNotice | null = null;
  /** The account logged in with (no sign-in buttons on its own row). */
  private me: string | null = null;
  private access: PageAccess = { admin: false, changeFunctions: false, addReps: false };

  constructor(private readonly actions: ManageActions) {
    this.teamForm = h("form", { class: "inline team-form", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      const msg = addTeamRequest(this.teamName.value, this.teamParent.value);
      if (msg === null) {
        this.teamName.focus();
        return;
      }
      this.actions.send(msg);
      this.teamName.value = "";
    } } },
      field("New team", this.teamName),
      field("Part of", this.teamParent),
      h("button", { type: "submit", id: "team-add", testid: "team-add" }, "Add team"));
    this.repForm = h("form", { class: "inline rep-form", novalidate: true, "aria-label": "Add a representative", on: { submit: (e) => {
      e.preventDefault();
      const msg = addRepRequest(this.repUser.value, this.repName.value, this.repTeam.value, this.access);
      show(this.repError, typeof msg === "string");
      if (typeof msg === "string") {
        setText(this.repError, msg);
        return;
      }
      // The fields stay until the portal says the account was made (a refusal keeps them).
      this.actions.send(msg);
    } } },
      field("User name", this.repUser),
      field("Name customers see", this.repName),
      field("Team", this.repTeam),
      h("button", { type: "submit", id: "rep-add", testid: "rep-add" }, "Add representative"));
    this.portalsSection = h("section", { class: "card", "aria-labelledby": "manage-portals-title" },
      h("h2", { id: "manage-portals-title" }, "Portals"),
      h("p", { class: "muted" }, "Settings for every session started on a portal. ", CHECKED_MEANS),
      this.portals);
    this.sections = h("div", { hidden: true },
      h("section", { class: "card", "aria-labelledby": "manage-teams-title" },
        h("h2", { id: "manage-teams-title" }, "Teams"),
        h("p", { class: "muted" }, "A team's settings apply to everyone in it and in its subteams. ", CHECKED_MEANS),
        this.teamForm,
        this.teams),
      h("section", { class: "card", "aria-labelledby": "manage-members-title" },
        h("h2", { id: "manage-members-title" }, "Representatives"),
        h("p", { class: "muted" }, "Settings for one representative alone. ", CHECKED_MEANS),
        this.repForm,
        this.repError,
        this.added,
        this.notice,
        this.members),
      this.portalsSection,
      this.recordingHint);
    this.el = h("div", { class: "manage", testid: "manage", hidden: true },
      h("div", { class: "pane-head" },
        h("h2", null, "Teams and policy"),
        h("button", { type: "button", class: "secondary", id: "manage-close", testid: "manage-close", on: { click: () => this.actions.close() } }, "Back to the console")),
      h("p", { testid: "manage-rule" }, IN_FORCE_RULE),
      this.scopeNote,
      this.error,
      this.loading,
      this.sections);
  }

  render(s: ConsoleState): void {
    show(this.el, s.managing);
    show(this.error, s.manageError !== null);
    setText(this.error, s.manageError ?? "");
    this.renderAdded(s.repAdded);
    show(this.notice, s.manageNotice !== null);
    setText(this.notice, s.manageNotice ?? "");
    const view = s.management;
    show(this.loading, view === null);
    show(this.sections, view !== null);
    if (view === null || (view === this.shown && s.manageError === this.shownError && s.user === this.me)) return;
    this.shown = view;
    this.me = s.user;
    this.shownError = s.manageError;
    const access = pageAccess(view);
    this.access = access;
    show(this.scopeNote, !access.admin);
    setText(this.scopeNote, access.admin ? "" : managerNote(view.powers));
    show(this.teamForm, access.changeFunctions);
    show(this.repForm, access.addReps);
    if (!access.addReps) show(this.repError, false);
    show(this.portalsSection, access.admin);
    show(this.recordingHint, view.functions.some((name) => name === "unrecorded" || name === "refuse_recording"));
    const focused = this.focusedKey();
    this.renderChoices(this.teamParent, newTeamParents(view.teams, access));
    this.renderChoices(this.repTeam, teamChoices(view.teams, access));
    replace(this.teams, this.teamsTable(view, access));
    replace(this.members, this.membersTable(view, access));
    replace(this.portals, access.admin ? this.portalsTable(view) : null);
    if (focused !== null) this.el.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  /** The first-password notice: drawn when it changes; a new one empties the form. */
  private renderAdded(added: AddedNotice | null): void {
    show(this.added, added !== null);
    if (added === this.shownAdded) return;
    this.shownAdded = added;
    if (added === null) {
      replace(this.added);
      return;
    }
    if (added.reset !== true) {
      this.repUser.value = "";
      this.repName.value = "";
      show(this.repError, false);
    }
    const [before, after] = addedWords(added);
    replace(this.added,
      h("p", null, before, h("code", { class: "password", testid: "rep-added-password" }, added.password), after),
      h("button", { type: "button", class: "secondary small", id: "rep-added-dismiss", testid: "rep-added-dismiss", on: { click: () => this.actions.dismissAdded() } }, "Dismiss"));
  }

  /** The control that had the focus, so it gets it back after the tables are drawn again. */
  private focusedKey(): string | null {
    const active = document.activeElement;
    return active instanceof HTMLElement && this.el.contains(active) ? (active.dataset.key ?? null) : null;
  }

  /** Fills a form's select, keeping its choice while it is still offered. */
  private renderChoices(el: HTMLSelectElement, choices: readonly Choice[]): void {
    const chosen = el.value;
    replace(el, ...choices.map((c) => h("option", { value: c.value }, c.label)));
    el.value = choices.some((c) => c.value === chosen) ? chosen : (choices[0]?.value ?? "");
  }

  /** One checkbox per function: ticked when `withheld` does not name it; read-only without the power. */
  private checkboxes(view: ManagementView, access: PageAccess, scope: PolicyScope, key: string, subject: string, withheld: readonly FunctionName[]): HTMLElement[] {
    return view.functions.map((name) => {
      const box = h("input", {
        type: "checkbox",
        "data-function": name,
        "data-key": `${key}-${name}`,
        "aria-label": `${functionLabel(name)}: ${subject}`,
        checked: !withheld.includes(name),
        disabled: !access.changeFunctions,
      });
      box.addEventListener("change", () =>
        this.actions.send(toggleRequest(scope, withheld, name, box.checked, view.functions)));
      return h("td", { class: "function" }, box);
    });
  }

  private head(view: ManagementView, first: string[], last: string[] = []): HTMLElement {
    return h("thead", null, h("tr", null,
      ...first.map((text) => h("th", { scope: "col" }, text)),
      ...view.functions.map((name) => h("th", { scope: "col", class: "function" }, functionLabel(name))),
      ...last.map((text) => h("th", { scope: "col" }, text))));
  }

  private empty(view: ManagementView, columns: number, text: string): HTMLElement {
    return h("tr", null, h("td", { class: "muted", colspan: columns + view.functions.length }, text));
  }

  private teamsTable(view: ManagementView, access: PageAccess): HTMLElement {
    const rows = teamTree(view.teams).map(({ team, depth }) => {
      const key = `team-${team.id}`;
      const name = h("th", { scope: "row", class: "team-name" }, depth > 0 ? h("span", { class: "muted", "aria-hidden": "true" }, "↳ ") : null, team.name);
      // Indented by nesting (through the CSSOM: the page's policy refuses style attributes).
      name.style.paddingLeft = `${0.5 + depth * 1.25}rem`;
      const scope: PolicyScope = { kind: "team", team: team.id };
      return h("tr", { "data-team": String(team.id) }, name, h("td", null, this.parentSelect(view.teams, team, access, key)),
        ...this.checkboxes(view, access, scope, key, `team ${team.name}`, team.withheld));
    });
    return h("table", { class: "policy" },
      this.head(view, ["Team", "Part of"]),
      h("tbody", null, ...(rows.length === 0 ? [this.empty(view, 2, "No teams yet.")] : rows)));
  }

  /** A team row's "Part of": a select, read-only where it may not move. */
  private parentSelect(teams: readonly TeamView[], team: TeamView, access: PageAccess, key: string): HTMLSelectElement {
    const attrs = { class: "parent", "data-key": `${key}-parent`, "aria-label": `Team above ${team.name}` };
    const choices = parentChoices(teams, team, access);
    if (choices === null) {
      const where = team.parent === null ? "(top level)" : "(a team you do not manage)";
      return select({ ...attrs, disabled: true }, [{ value: "", label: where }], "");
    }
    const parent = select({ ...attrs, disabled: !access.changeFunctions }, choices, team.parent === null ? "" : String(team.parent));
    parent.addEventListener("change", () => this.actions.send(moveTeamRequest(team.id, parent.value)));
    return parent;
  }

  private membersTable(view: ManagementView, access: PageAccess): HTMLElement {
    const choices = teamChoices(view.teams, access);
    const rows = view.members.map((m): HTMLElement[] => {
      const key = `member-${m.user}`;
      const team = select({ class: "team", "data-key": `${key}-team`, "aria-label": `Team of ${m.name}`, disabled: !access.changeFunctions },
        choices, m.team === null ? "" : String(m.team));
      team.addEventListener("change", () => this.actions.send(setTeamRequest(m.user, team.value)));
      const scope: PolicyScope = { kind: "rep", user: m.user };
      const main = h("tr", { "data-member": m.user },
        h("th", { scope: "row", class: "member" }, m.name,
          m.admin ? h("span", { class: "badge" }, "admin") : null,
          m.manages.length > 0 ? h("span", { class: "badge manager", testid: "manager-badge" }, "manager") : null,
          h("span", { class: "user muted" }, m.user)),
        h("td", null, team),
        ...this.checkboxes(view, access, scope, key, m.name, m.withheld),
        h("td", { class: "in-force" }, inForceText(m.in_force, view.functions)));
      // Manager settings and sign-in go on a row of their own below: as columns they pushed
      // the table wider than the page.
      const extras = [
        access.admin ? this.accessCell(view, m, key) : null,
        access.addReps ? this.signInCell(access, m, key) : null,
      ].filter((cell): cell is HTMLElement => cell !== null && cell.childNodes.length > 0);
      if (extras.length === 0) return [main];
      main.classList.add("has-extra");
      const blocks = extras.map((cell) => {
        const block = h("div", { class: `member-extra-block ${cell.className}` });
        block.append(...Array.from(cell.childNodes));
        return block;
      });
      const span = String(3 + view.functions.length);
      return [main, h("tr", { class: "member-extra", "data-member-extra": m.user },
        h("td", { colspan: span }, h("div", { class: "member-extra-blocks" }, ...blocks)))];
    });
    const last = ["In force"];
    return h("table", { class: "policy" },
      this.head(view, ["Representative", "Team"], last),
      h("tbody", null, ...(rows.length === 0 ? [this.empty(view, 2 + last.length, "No representatives.")] : rows.flat())));
  }

  /**
   * Sign out everywhere, and reset the sign-in: its first click turns the button into
   * "Confirm reset" (button.reset-sign-in-confirm), whose click sends it.
   */
  private signInCell(access: PageAccess, m: MemberView, key: string): HTMLElement {
    if (!mayManageAccount(access, m, this.me)) return h("td", { class: "sign-in" });
    const signOut = h("button", {
      type: "button", class: "secondary small sign-out", "data-key": `${key}-sign-out`, "aria-label": `Sign out ${m.name} everywhere`,
      on: { click: () => this.actions.send(signOutRequest(m.user)) },
    }, "Sign out");
    const confirm = h("button", {
      type: "button", class: "danger small reset-sign-in-confirm", "data-key": `${key}-reset-confirm`, "aria-label": `Confirm reset of ${m.name}'s sign-in`,
      on: { click: () => {
        // Once: a second reset would only replace the new password.
        confirm.disabled = true;
        this.actions.send(resetSignInRequest(m.user));
      } },
    }, "Confirm reset");
    const reset = h("button", {
      type: "button", class: "danger small reset-sign-in", "data-key": `${key}-reset`, "aria-label": `Reset sign-in of ${m.name}`,
      title: "A new password, their second factor off, and signed out everywhere",
      on: { click: () => {
        reset.replaceWith(confirm);
        confirm.focus();
      } },
    }, "Reset sign-in");
    return h("td", { class: "sign-in" }, h("div", { class: "sign-in-actions" }, signOut, reset));
  }

  /** Administrators only: the teams a member manages and their powers, each box sending set_access. */
  private accessCell(view: ManagementView, m: MemberView, key: string): HTMLElement {
    if (m.admin) return h("td", { class: "access muted" }, "An administrator may do everything.");
    const box = (attrs: Record<string, unknown>, label: string, send: (on: boolean) => ClientMessage): HTMLElement => {
      const input = h("input", { type: "checkbox", ...attrs });
      input.addEventListener("change", () => this.actions.send(send(input.checked)));
      return h("label", { class: "check small" }, input, label);
    };
    const teams = teamTree(view.teams).map(({ team, depth }) => {
      const label = box({ class: "manages", "data-team": String(team.id), "data-key": `${key}-manages-${team.id}`, checked: m.manages.includes(team.id) },
        team.name, (on) => accessRequest(m.user, managesAfter(m.manages, team.id, on), m.powers));
      label.style.paddingLeft = `${depth * 1.1}rem`;
      return label;
    });
    const powers = POWERS.map(([name, text]) =>
      box({ class: "power", "data-power": name, "data-key": `${key}-power-${name}`, checked: m.powers.includes(name) },
        text, (on) => accessRequest(m.user, m.manages, powersAfter(m.powers, name, on))));
    return h("td", { class: "access" },
      h("div", { class: "access-group teams", role: "group", "aria-label": `Teams ${m.name} manages` },
        h("span", { class: "access-title" }, "Manages"),
        ...(teams.length === 0 ? [h("span", { class: "muted" }, "No teams yet.")] : teams)),
      h("div", { class: "access-group", role: "group", "aria-label": `Powers of ${m.name}` },
        h("span", { class: "access-title" }, "Powers"),
        ...powers));
  }

  private portalsTable(view: ManagementView): HTMLElement {
    const access = pageAccess(view);
    const rows = view.portals.map((p) => {
      const scope: PolicyScope = { kind: "portal", portal: p.portal };
      return h("tr", { "data-portal": p.portal },
        h("th", { scope: "row" }, p.portal),
        ...this.checkboxes(view, access, scope, `portal-${p.portal}`, `portal ${p.portal}`, p.withheld));
    });
    return h("table", { class: "policy" },
      this.head(view, ["Portal"]),
      h("tbody", null, ...(rows.length === 0 ? [this.empty(view, 1, "No portals.")] : rows)));
  }
}

/** The request the page sends when it opens. */
export const SHOW: ClientMessage = manage({ op: "show" });
