// The console's management page (administrators only): teams and their nesting, who is in
// which team, and the functions withheld per team, per representative and per portal. Every
// table is drawn from the latest `management` message; every control sends its manage
// request at once (policy.ts builds them) and the portal answers with the new state, or an
// error shown at the top (#manage-error) — then the tables are drawn again from the last
// state, so a refused change does not stay ticked.

import type { ConsoleState } from "./console";
import { field, h, replace, setText, show } from "./h";
import {
  addTeamRequest,
  functionLabel,
  indented,
  inForceText,
  manage,
  moveTeamRequest,
  setTeamRequest,
  subtree,
  teamTree,
  toggleRequest,
} from "./policy";
import type { ClientMessage, FunctionName, ManagementView, PolicyScope, TeamView } from "./wire";

export interface ManageActions {
  /** Send a manage request (the page waits for its answer). */
  send(msg: ClientMessage): void;
  /** Back to the console. */
  close(): void;
}

/** The one sentence that says how the settings combine. */
export const IN_FORCE_RULE =
  "What is in force for a representative is the most restrictive of their own, their team's (and every team above it) and the portal's settings; changes apply to running sessions at once.";

const CHECKED_MEANS = "A ticked box allows the function; an unticked one withholds it.";

export class ManageView {
  readonly el: HTMLElement;
  private readonly error = h("p", { id: "manage-error", class: "form-error", testid: "manage-error", role: "alert", hidden: true });
  private readonly loading = h("p", { class: "muted", testid: "manage-loading" }, "Loading…");
  private readonly teamName = h("input", { type: "text", id: "team-name", testid: "team-name", maxlength: 100, autocomplete: "off" });
  private readonly teamParent = h("select", { id: "team-parent", testid: "team-parent" });
  private readonly teams = h("div", { class: "table-wrap", testid: "manage-teams" });
  private readonly members = h("div", { class: "table-wrap", testid: "manage-members" });
  private readonly portals = h("div", { class: "table-wrap", testid: "manage-portals" });
  private readonly sections: HTMLElement;
  /** What the tables were last drawn from. */
  private shown: ManagementView | null = null;
  private shownError: string | null = null;

  constructor(private readonly actions: ManageActions) {
    const addForm = h("form", { class: "inline team-form", novalidate: true, on: { submit: (e) => {
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
    this.sections = h("div", { hidden: true },
      h("section", { class: "card", "aria-labelledby": "manage-teams-title" },
        h("h2", { id: "manage-teams-title" }, "Teams"),
        h("p", { class: "muted" }, "A team's settings apply to everyone in it and in its subteams. ", CHECKED_MEANS),
        addForm,
        this.teams),
      h("section", { class: "card", "aria-labelledby": "manage-members-title" },
        h("h2", { id: "manage-members-title" }, "Representatives"),
        h("p", { class: "muted" }, "Settings for one representative alone. ", CHECKED_MEANS),
        this.members),
      h("section", { class: "card", "aria-labelledby": "manage-portals-title" },
        h("h2", { id: "manage-portals-title" }, "Portals"),
        h("p", { class: "muted" }, "Settings for every session started on a portal. ", CHECKED_MEANS),
        this.portals));
    this.el = h("div", { class: "manage", testid: "manage", hidden: true },
      h("div", { class: "pane-head" },
        h("h2", null, "Teams and policy"),
        h("button", { type: "button", class: "secondary", id: "manage-close", testid: "manage-close", on: { click: () => this.actions.close() } }, "Back to the console")),
      h("p", { testid: "manage-rule" }, IN_FORCE_RULE),
      this.error,
      this.loading,
      this.sections);
  }

  render(s: ConsoleState): void {
    show(this.el, s.managing);
    show(this.error, s.manageError !== null);
    setText(this.error, s.manageError ?? "");
    const view = s.management;
    show(this.loading, view === null);
    show(this.sections, view !== null);
    if (view === null || (view === this.shown && s.manageError === this.shownError)) return;
    this.shown = view;
    this.shownError = s.manageError;
    const focused = this.focusedKey();
    this.renderParentChoices(view.teams);
    replace(this.teams, this.teamsTable(view));
    replace(this.members, this.membersTable(view));
    replace(this.portals, this.portalsTable(view));
    if (focused !== null) this.el.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  /** The control that had the focus, so it gets it back after the tables are drawn again. */
  private focusedKey(): string | null {
    const active = document.activeElement;
    return active instanceof HTMLElement && this.el.contains(active) ? (active.dataset.key ?? null) : null;
  }

  private renderParentChoices(teams: readonly TeamView[]): void {
    const chosen = this.teamParent.value;
    replace(this.teamParent, h("option", { value: "" }, "(top level)"),
      ...teamTree(teams).map(({ team, depth }) => h("option", { value: String(team.id) }, indented(team.name, depth))));
    this.teamParent.value = teams.some((t) => String(t.id) === chosen) ? chosen : "";
  }

  /** One checkbox per function: ticked when `withheld` does not name it. */
  private checkboxes(view: ManagementView, scope: PolicyScope, key: string, subject: string, withheld: readonly FunctionName[]): HTMLElement[] {
    return view.functions.map((name) => {
      const box = h("input", {
        type: "checkbox",
        "data-function": name,
        "data-key": `${key}-${name}`,
        "aria-label": `${functionLabel(name)}: ${subject}`,
        checked: !withheld.includes(name),
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

  private teamsTable(view: ManagementView): HTMLElement {
    const tree = teamTree(view.teams);
    const rows = tree.map(({ team, depth }) => {
      const key = `team-${team.id}`;
      const excluded = subtree(view.teams, team.id);
      const parent = h("select", { class: "parent", "data-key": `${key}-parent`, "aria-label": `Team above ${team.name}` },
        h("option", { value: "" }, "(top level)"),
        ...tree.filter(({ team: t }) => !excluded.has(t.id)).map(({ team: t, depth: d }) =>
          h("option", { value: String(t.id) }, indented(t.name, d))));
      parent.value = team.parent === null ? "" : String(team.parent);
      parent.addEventListener("change", () => this.actions.send(moveTeamRequest(team.id, parent.value)));
      const name = h("th", { scope: "row", class: "team-name" }, depth > 0 ? h("span", { class: "muted", "aria-hidden": "true" }, "↳ ") : null, team.name);
      // Indented by nesting (through the CSSOM: the page's policy refuses style attributes).
      name.style.paddingLeft = `${0.5 + depth * 1.25}rem`;
      const scope: PolicyScope = { kind: "team", team: team.id };
      return h("tr", { "data-team": String(team.id) }, name, h("td", null, parent),
        ...this.checkboxes(view, scope, key, `team ${team.name}`, team.withheld));
    });
    return h("table", { class: "policy" },
      this.head(view, ["Team", "Part of"]),
      h("tbody", null, ...(rows.length === 0 ? [this.empty(view, 2, "No teams yet.")] : rows)));
  }

  private membersTable(view: ManagementView): HTMLElement {
    const tree = teamTree(view.teams);
    const rows = view.members.map((m) => {
      const key = `member-${m.user}`;
      const team = h("select", { class: "team", "data-key": `${key}-team`, "aria-label": `Team of ${m.name}` },
        h("option", { value: "" }, "(no team)"),
        ...tree.map(({ team: t, depth }) => h("option", { value: String(t.id) }, indented(t.name, depth))));
      team.value = m.team === null ? "" : String(m.team);
      team.addEventListener("change", () => this.actions.send(setTeamRequest(m.user, team.value)));
      const scope: PolicyScope = { kind: "rep", user: m.user };
      return h("tr", { "data-member": m.user },
        h("th", { scope: "row", class: "member" }, m.name, m.admin ? h("span", { class: "badge" }, "admin") : null,
          h("span", { class: "user muted" }, m.user)),
        h("td", null, team),
        ...this.checkboxes(view, scope, key, m.name, m.withheld),
        h("td", { class: "in-force" }, inForceText(m.in_force, view.functions)));
    });
    return h("table", { class: "policy" },
      this.head(view, ["Representative", "Team"], ["In force"]),
      h("tbody", null, ...(rows.length === 0 ? [this.empty(view, 3, "No representatives.")] : rows)));
  }

  private portalsTable(view: ManagementView): HTMLElement {
    const rows = view.portals.map((p) => {
      const scope: PolicyScope = { kind: "portal", portal: p.portal };
      return h("tr", { "data-portal": p.portal },
        h("th", { scope: "row" }, p.portal),
        ...this.checkboxes(view, scope, `portal-${p.portal}`, `portal ${p.portal}`, p.withheld));
    });
    return h("table", { class: "policy" },
      this.head(view, ["Portal"]),
      h("tbody", null, ...(rows.length === 0 ? [this.empty(view, 1, "No portals.")] : rows)));
  }
}

/** The request the page sends when it opens. */
export const SHOW: ClientMessage = manage({ op: "show" });
