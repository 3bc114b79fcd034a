// Functions by policy, without the DOM: what the console offers a representative (`allows`),
// and the management page's logic — team nesting, labels, who may change what (an
// administrator, or a team manager with powers), and the manage requests its controls send.
// console_manage.ts draws the page. The portal decides everything again: hiding a control
// here only spares the representative a refusal.

import { CONTROL, INVITE_RIGHTS, hasRights } from "./rights";
import type {
  ClientMessage,
  FunctionName,
  ManageRequest,
  ManagementView,
  MemberView,
  PolicyScope,
  PowerName,
  Rights,
  TeamView,
} from "./wire";

/** Every function the portal knows, in display order, with its label. */
export const FUNCTIONS: ReadonlyArray<readonly [FunctionName, string]> = [
  ["screen", "Screen sharing"],
  ["control", "Remote control"],
  ["files", "File transfer"],
  ["reboot", "Reboot and reconnect"],
  // Both ways, and only with screen sharing (the portal grants the right with both).
  ["clipboard", "Clipboard"],
  ["chat", "Chat"],
  ["invite_reps", "Invite representatives"],
  ["invite_specialists", "Invite specialists"],
  ["specialist_control", "Give specialists control"],
  // Withheld, these two restrict by recording: "unrecorded" withheld means sessions are
  // recorded (the customer is asked first); "refuse_recording" withheld means a customer who
  // refuses recording ends the session (allowed: the session goes on unrecorded).
  ["unrecorded", "Unrecorded sessions"],
  ["refuse_recording", "Customer may refuse recording"],
];

/** What the management page says under its tables about the recording functions. */
export const RECORDING_HINT =
  "Untick “Unrecorded sessions” to record sessions (the customer is asked first, and can refuse); untick “Customer may refuse recording” to end sessions whose customer refuses.";

/** A function's label ("Remote control"); a name this app does not know stays as it is. */
export function functionLabel(name: FunctionName): string {
  return FUNCTIONS.find(([n]) => n === name)?.[1] ?? name;
}

/** Whether `functions` (null: the portal said nothing, so everything) allows `name`. */
export function allows(functions: readonly FunctionName[] | null, name: FunctionName): boolean {
  return functions === null || functions.includes(name);
}

/** Controlling the screen needs both screen sharing and remote control. */
export function allowsControl(functions: readonly FunctionName[] | null): boolean {
  return allows(functions, "screen") && allows(functions, "control");
}

/** Whether a specialist may be given control: the host's control and that function. */
export function allowsSpecialistControl(functions: readonly FunctionName[] | null): boolean {
  return allowsControl(functions) && allows(functions, "specialist_control");
}

/** The specialist rights select's choices: control only when it may be given. */
export function specialistChoices(functions: readonly FunctionName[] | null): ReadonlyArray<readonly [Rights, string]> {
  const control = allowsSpecialistControl(functions);
  return INVITE_RIGHTS.filter(([bits]) => control || !hasRights(bits, CONTROL));
}

/**
 * What the in-force cell says, in the shorter of two ways: "Everything", "Everything but
 * Remote control and File transfer", or "Screen sharing and Chat" ("nothing" when empty).
 */
export function inForceText(inForce: readonly FunctionName[], order: readonly FunctionName[]): string {
  const names = sortByOrder(inForce, order);
  if (names.length === 0) return "nothing";
  const missing = order.filter((f) => !names.includes(f));
  if (missing.length === 0) return "Everything";
  if (missing.length < names.length) return `Everything but ${listed(missing)}`;
  return listed(names);
}

/** "A", "A and B", "A, B and C", by their labels. */
function listed(names: readonly FunctionName[]): string {
  const labels = names.map(functionLabel);
  if (labels.length <= 1) return labels.join("");
  return `${labels.slice(0, -1).join(", ")} and ${labels[labels.length - 1]}`;
}

/** `names` without duplicates, in `order` (names not in it last, as they came). */
function sortByOrder(names: readonly FunctionName[], order: readonly FunctionName[]): FunctionName[] {
  const unique = [...new Set(names)];
  const rank = (n: FunctionName): number => {
    const i = order.indexOf(n);
    return i < 0 ? order.length : i;
  };
  return unique
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
    .map(({ n }) => n);
}

/**
 * How deep each team is nested (0: top level). A parent that is missing counts as the top;
 * a loop of parents (which the portal refuses, but a page must not hang on) stops the walk
 * where it closes.
 */
export function teamDepths(teams: readonly TeamView[]): Map<number, number> {
  const byId = new Map(teams.map((t) => [t.id, t]));
  const depths = new Map<number, number>();
  for (const team of teams) {
    const seen = new Set<number>([team.id]);
    let depth = 0;
    let parent = team.parent;
    while (parent !== null && !seen.has(parent)) {
      const up = byId.get(parent);
      if (up === undefined) break;
      seen.add(parent);
      depth += 1;
      parent = up.parent;
    }
    depths.set(team.id, depth);
  }
  return depths;
}

/**
 * The teams in tree order: each followed by its subteams (by name), with their depth. Teams
 * only a loop reaches come last, at depth 0, so none is ever missing.
 */
export function teamTree(teams: readonly TeamView[]): { team: TeamView; depth: number }[] {
  const ids = new Set(teams.map((t) => t.id));
  const byName = (a: TeamView, b: TeamView): number => a.name.localeCompare(b.name) || a.id - b.id;
  const children = (id: number | null): TeamView[] =>
    teams
      .filter((t) => (id === null ? t.parent === null || !ids.has(t.parent) : t.parent === id))
      .sort(byName);
  const out: { team: TeamView; depth: number }[] = [];
  const placed = new Set<number>();
  const walk = (team: TeamView, depth: number): void => {
    if (placed.has(team.id)) return;
    placed.add(team.id);
    out.push({ team, depth });
    for (const child of children(team.id)) walk(child, depth + 1);
  };
  for (const top of children(null)) walk(top, 0);
  for (const team of [...teams].sort(byName)) walk(team, 0);
  return out;
}

/** `team` and every team under it (loop-safe): none of them can become its parent. */
export function subtree(teams: readonly TeamView[], team: number): Set<number> {
  const found = new Set<number>([team]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of teams) {
      if (t.parent !== null && found.has(t.parent) && !found.has(t.id)) {
        found.add(t.id);
        grew = true;
      }
    }
  }
  return found;
}

/** A team name indented by its depth, for a select's option. */
export function indented(name: string, depth: number): string {
  return `${"\u00a0\u00a0\u00a0".repeat(depth)}${name}`;
}

/** A select's value as a team id: "" (top level, no team) or anything not an id is null. */
export function teamOf(value: string): number | null {
  if (!/^\d+$/.test(value)) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : null;
}

/** The message of a manage request. */
export function manage(request: ManageRequest): ClientMessage {
  return { type: "manage", ...request };
}

/** Adding a team named `name` under the select's `parent`; null for an empty name. */
export function addTeamRequest(name: string, parent: string): ClientMessage | null {
  const trimmed = name.trim();
  if (trimmed === "") return null;
  return manage({ op: "add_team", name: trimmed, parent: teamOf(parent) });
}

export function moveTeamRequest(team: number, parent: string): ClientMessage {
  return manage({ op: "move_team", team, parent: teamOf(parent) });
}

export function setTeamRequest(user: string, team: string): ClientMessage {
  return manage({ op: "set_team", user, team: teamOf(team) });
}

/**
 * A scope's whole new withheld list after its checkbox of `name` was set to `allowed`
 * (checked means allowed): in the portal's function order.
 */
export function withheldAfter(
  withheld: readonly FunctionName[],
  name: FunctionName,
  allowed: boolean,
  order: readonly FunctionName[],
): FunctionName[] {
  const rest = withheld.filter((n) => n !== name);
  return sortByOrder(allowed ? rest : [...rest, name], order);
}

/** The withhold request a function's checkbox sends (the scope's full new list). */
export function toggleRequest(
  scope: PolicyScope,
  withheld: readonly FunctionName[],
  name: FunctionName,
  allowed: boolean,
  order: readonly FunctionName[],
): ClientMessage {
  return manage({ op: "withhold", scope, withheld: withheldAfter(withheld, name, allowed, order) });
}

/** Every power an administrator may give, in display order, with its label. */
export const POWERS: ReadonlyArray<readonly [PowerName, string]> = [
  ["add_reps", "Add representatives"],
  ["change_functions", "Change teams and functions"],
  ["view_reports", "See their teams' reports"],
  ["own_reports", "See own reports"],
];

/** A power's label; a name this app does not know stays as it is. */
export function powerLabel(name: PowerName): string {
  return POWERS.find(([n]) => n === name)?.[1] ?? name;
}

/** What the management page offers the one who opened it. */
export interface PageAccess {
  /** An administrator: portals, manager settings, "no team" and the top level. */
  readonly admin: boolean;
  /** May change teams, who is in which, and functions (else those show read-only). */
  readonly changeFunctions: boolean;
  /** May add representatives (the form is shown). */
  readonly addReps: boolean;
}

/** What `view`'s asker may do: administrators everything, managers what their powers say. */
export function pageAccess(view: Pick<ManagementView, "you" | "powers">): PageAccess {
  const admin = view.you === "admin";
  return {
    admin,
    changeFunctions: admin || view.powers.includes("change_functions"),
    addReps: admin || view.powers.includes("add_reps"),
  };
}

/** A select's choice: its value and label. */
export interface Choice {
  readonly value: string;
  readonly label: string;
}

/**
 * The teams a representative may be put in (the team select of a member row and of the
 * add-representative form), indented by nesting: "(no team)" first for administrators only
 * (a manager's people stay in the manager's teams, which are all the teams they see).
 */
export function teamChoices(teams: readonly TeamView[], access: PageAccess): Choice[] {
  const tree = teamTree(teams).map(({ team, depth }) => ({ value: String(team.id), label: indented(team.name, depth) }));
  return access.admin ? [{ value: "", label: "(no team)" }, ...tree] : tree;
}

/** The parents the add-team form offers: the top level for administrators only. */
export function newTeamParents(teams: readonly TeamView[], access: PageAccess): Choice[] {
  const tree = teamTree(teams).map(({ team, depth }) => ({ value: String(team.id), label: indented(team.name, depth) }));
  return access.admin ? [{ value: "", label: "(top level)" }, ...tree] : tree;
}

/**
 * What a team row's "Part of" select offers: any team but itself and its subteams, and the
 * top level for administrators. A manager's own top teams (whose parent they do not see)
 * stay where the administrator put them: null, shown read-only.
 */
export function parentChoices(teams: readonly TeamView[], team: TeamView, access: PageAccess): Choice[] | null {
  const visible = new Set(teams.map((t) => t.id));
  if (!access.admin && (team.parent === null || !visible.has(team.parent))) return null;
  const excluded = subtree(teams, team.id);
  const tree = teamTree(teams)
    .filter(({ team: t }) => !excluded.has(t.id))
    .map(({ team: t, depth }) => ({ value: String(t.id), label: indented(t.name, depth) }));
  return access.admin ? [{ value: "", label: "(top level)" }, ...tree] : tree;
}

/** A member's managed teams after one team's box was set: sorted, no duplicates. */
export function managesAfter(manages: readonly number[], team: number, on: boolean): number[] {
  const rest = manages.filter((t) => t !== team);
  return [...new Set(on ? [...rest, team] : rest)].sort((a, b) => a - b);
}

/** A member's powers after one power's box was set: in POWERS order (unknown names last). */
export function powersAfter(powers: readonly PowerName[], name: PowerName, on: boolean): PowerName[] {
  const rest = powers.filter((p) => p !== name);
  return sortByOrder(on ? [...rest, name] : rest, POWERS.map(([n]) => n));
}

/** The set_access request (administrators only): the member's full new lists. */
export function accessRequest(user: string, manages: readonly number[], powers: readonly PowerName[]): ClientMessage {
  return manage({ op: "set_access", user, manages: [...manages], powers: [...powers] });
}

/** Account names the portal accepts: 1 to 64 of letters, digits, ".", "_", "-", "@". */
const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * The add_rep request from the form, or what is wrong with it (a sentence for the page).
 * Managers must put the new representative in one of their teams.
 */
export function addRepRequest(user: string, name: string, team: string, access: PageAccess): ClientMessage | string {
  const account = user.trim();
  const display = name.trim();
  if (account === "") return "Enter a user name for the new representative.";
  if (!USER_NAME.test(account)) return "A user name has 1 to 64 letters, digits, dots, dashes, underscores or @.";
  if (display === "") return "Enter the name customers will see.";
  const id = teamOf(team);
  if (id === null && !access.admin) return "Choose one of your teams for the new representative.";
  return manage({ op: "add_rep", user: account, name: display, team: id });
}

/**
 * Whether the page offers signing `member` out and resetting their sign-in: administrators,
 * and managers with "add_reps" for the (non-administrator) people they see; never on one's
 * own row (`me`: the account logged in with).
 */
export function mayManageAccount(access: PageAccess, member: Pick<MemberView, "user" | "admin">, me: string | null): boolean {
  if (!access.addReps || member.user === me) return false;
  return access.admin || !member.admin;
}

/** Signs `user` out everywhere. */
export function signOutRequest(user: string): ClientMessage {
  return manage({ op: "sign_out", user });
}

/** Signs `user` out, turns their second factor off and gives them a new password (in `added`). */
export function resetSignInRequest(user: string): ClientMessage {
  return manage({ op: "reset_sign_in", user });
}
