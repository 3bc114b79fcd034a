// The session panel's invitations: representatives logged in now (listed on request,
// searchable, one by one or everyone on a portal, with rights, hidden from the customer or
// not, and a comment) and external specialists (a support key and link to pass on, which
// the host may cancel). Part of session_panel_view.ts.

import { groupDigits, type ViewerTarget } from "./format";
import { field, h, replace, show } from "./h";
import { allows, specialistChoices } from "./policy";
import { INVITE_RIGHTS, rightsChoice, rightsInWords } from "./rights";
import {
  acted,
  activeSessions,
  filterReps,
  mayAct,
  portalsOf,
  type PanelState,
  type SpecialistBox,
} from "./session_panel";
import type { ClientMessage, FunctionName, InviteTarget, Rights } from "./wire";

/** What the panel's parts ask the shell to do. */
export interface PanelActions {
  /** Send `msg` for panel `id` and apply `after` to its state. */
  act(id: number, msg: ClientMessage, after: (p: PanelState) => PanelState): void;
  /** Copy `text` to the clipboard; `what` names it in the notice ("Link"). */
  copy(id: number, text: string, what: string): void;
  /** Remove the pane and close its connection. */
  close(id: number): void;
  /** Where "Open in viewer" sends the native viewer. */
  viewerTarget(): ViewerTarget;
}

function rightsOptions(choices: ReadonlyArray<readonly [Rights, string]>): HTMLOptionElement[] {
  return choices.map(([bits, text]) => h("option", { value: String(bits) }, text));
}

function rightsSelect(testid: string, label: string): HTMLSelectElement {
  return h("select", { testid, "aria-label": label }, ...rightsOptions(INVITE_RIGHTS));
}

export class InviteView {
  readonly el: HTMLElement;
  private readonly listButton: HTMLButtonElement;
  private readonly search = h("input", { type: "text", testid: "rep-search", placeholder: "Search by name or portal", "aria-label": "Search representatives", maxlength: 200 });
  private readonly repList = h("div", { class: "rep-list", testid: "rep-list", hidden: true });
  private readonly portals = h("div", { class: "actions" });
  private readonly rights = rightsSelect("invite-rights", "Rights of the invited representative");
  private readonly masked = h("input", { type: "checkbox", testid: "invite-masked" });
  private readonly comment = h("input", { type: "text", testid: "invite-comment", maxlength: 500, placeholder: "Only the representatives see this" });
  private readonly specialistRights = rightsSelect("specialist-rights", "Rights of the specialist");
  private readonly specialistButton: HTMLButtonElement;
  private readonly specialists = h("div", { class: "specialists" });
  /** The parts the policy may withhold (see policy.ts). */
  private readonly repSection: HTMLElement;
  private readonly specialistSection: HTMLElement;
  /** The specialist choices drawn, by their bits ("5,7"). */
  private specialistKey = "";
  private readonly boxes = new Map<string, { el: HTMLElement; cancelled: HTMLElement; cancel: HTMLButtonElement; data: SpecialistBox }>();
  private listKey = "";
  private panel: PanelState;

  constructor(panel: PanelState, private readonly actions: PanelActions) {
    this.panel = panel;
    const id = panel.id;
    this.listButton = h("button", { type: "button", class: "secondary", testid: "list-reps", on: { click: () =>
      this.actions.act(id, { type: "list_reps" }, (p) => acted(p)) } }, "Show representatives online");
    this.search.addEventListener("input", () => this.renderReps());
    this.specialistButton = h("button", { type: "button", class: "secondary", testid: "invite-specialist", on: { click: () =>
      this.actions.act(id, { type: "invite_specialist", rights: rightsChoice(this.specialistRights.value) }, (p) => acted(p)) } }, "Invite a specialist");
    this.repSection = h("div", { class: "invite-reps", testid: "invite-reps-section" },
      h("h4", null, "Invite a representative"),
      h("div", { class: "actions" }, this.listButton),
      field("Search", this.search),
      this.repList,
      this.portals,
      field("Rights", this.rights),
      h("label", { class: "check" }, this.masked, " Hide from the customer"),
      field("Comment", this.comment));
    this.specialistSection = h("div", { class: "invite-specialists", testid: "invite-specialist-section" },
      h("h4", null, "External specialist"),
      h("div", { class: "inline" }, field("Rights", this.specialistRights), this.specialistButton));
    this.el = h("div", { class: "invites" }, this.repSection, this.specialistSection, this.specialists);
  }

  /** `functions`: what the policy allows this representative (null: everything). */
  render(p: PanelState, functions: readonly FunctionName[] | null = null): void {
    this.panel = p;
    show(this.repSection, allows(functions, "invite_reps"));
    show(this.specialistSection, allows(functions, "invite_specialists"));
    this.renderSpecialistChoices(functions);
    const live = mayAct(p);
    for (const control of [this.listButton, this.rights, this.masked, this.comment, this.specialistRights, this.specialistButton])
      control.disabled = !live;
    show(this.search.parentElement ?? this.search, p.reps !== null);
    this.renderReps();
    this.renderSpecialists(p, live);
  }

  /** Offers a specialist control only when the policy lets this host give it. */
  private renderSpecialistChoices(functions: readonly FunctionName[] | null): void {
    const choices = specialistChoices(functions);
    const key = choices.map(([bits]) => bits).join(",");
    if (key === this.specialistKey) return;
    this.specialistKey = key;
    const chosen = this.specialistRights.value;
    replace(this.specialistRights, ...rightsOptions(choices));
    if (choices.some(([bits]) => String(bits) === chosen)) this.specialistRights.value = chosen;
  }

  private invite(target: InviteTarget, who: string): void {
    const msg: ClientMessage = {
      type: "invite_reps",
      target,
      rights: rightsChoice(this.rights.value),
      masked: this.masked.checked,
      comment: this.comment.value.trim(),
    };
    // The portal confirms nothing: the answer comes as invitation_answered (or an error).
    this.actions.act(this.panel.id, msg, (p) => acted(p, `Invitation sent to ${who}.`));
  }

  private renderReps(): void {
    const p = this.panel;
    const live = mayAct(p);
    const key = JSON.stringify([p.reps, this.search.value, live]);
    if (key === this.listKey) return;
    this.listKey = key;
    show(this.repList, p.reps !== null);
    const reps = p.reps ?? [];
    const shown = filterReps(reps, this.search.value);
    replace(this.repList,
      reps.length === 0 ? h("p", { class: "muted" }, "No other representative is logged in.") : null,
      reps.length > 0 && shown.length === 0 ? h("p", { class: "muted" }, "No one matches.") : null,
      ...shown.map((r) =>
        h("div", { class: "rep-row", testid: `invite-rep-${r.user}` },
          h("span", null, h("strong", null, r.name), ` — ${r.portal}, ${activeSessions(r.active_sessions)}`),
          h("button", { type: "button", class: "secondary small", testid: `invite-rep-${r.user}-send`, disabled: !live, on: { click: () =>
            this.invite({ kind: "rep", user: r.user }, r.name) } }, "Invite"))));
    replace(this.portals, ...portalsOf(shown).map((portal) =>
      h("button", { type: "button", class: "secondary small", testid: `invite-portal-${portal}`, disabled: !live, on: { click: () =>
        this.invite({ kind: "portal", portal }, `everyone on portal ${portal}`) } }, `Invite everyone on portal ${portal}`)));
  }

  private renderSpecialists(p: PanelState, live: boolean): void {
    for (const data of p.specialists) {
      let box = this.boxes.get(data.key);
      if (box === undefined) {
        box = this.buildBox(p.id, data);
        this.boxes.set(data.key, box);
        this.specialists.appendChild(box.el);
      }
      box.data = data;
      show(box.cancelled, data.cancelled);
      box.el.classList.toggle("cancelled", data.cancelled);
      box.cancel.disabled = data.cancelled || !live;
    }
  }

  private buildBox(id: number, data: SpecialistBox): { el: HTMLElement; cancelled: HTMLElement; cancel: HTMLButtonElement; data: SpecialistBox } {
    const cancelled = h("p", { class: "notice", testid: "specialist-cancelled", hidden: true }, "Cancelled: this key admits nobody new.");
    const cancel = h("button", { type: "button", class: "danger small", testid: "cancel-specialist", on: { click: () =>
      this.actions.act(id, { type: "cancel_specialist_invitation", key: data.key }, (p) => acted(p)) } }, "Cancel invitation");
    const el = h("div", { class: "specialist", testid: `specialist-${data.key}` },
      h("p", null, "Support key: ", h("strong", { class: "code", testid: "specialist-key" }, groupDigits(data.key)),
        ` (${rightsInWords(data.rights)})`),
      h("p", null, h("a", { testid: "specialist-link", href: data.joinUrl, target: "_blank", rel: "noopener" }, data.joinUrl)),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary small", testid: "copy-specialist-link", on: { click: () => this.actions.copy(id, data.joinUrl, "Link") } }, "Copy link"),
        h("button", { type: "button", class: "secondary small", testid: "copy-specialist-email", on: { click: () => this.actions.copy(id, data.email, "Email text") } }, "Copy email text"),
        cancel),
      cancelled);
    return { el, cancelled, cancel, data };
  }
}

/** For the view's own status: a sentence for the copy result. */
export function copiedNotice(what: string, ok: boolean, text: string): string {
  return ok ? `${what} copied.` : `${what} could not be copied here. Select it and copy it by hand: ${text}`;
}
