// The console's session panes: one PanelView per open panel, kept by panel id. A panel of a
// taken request sits in that request's pane (its "Session" area); any other in the
// "Sessions" section.

import type { ConsoleState } from "./console";
import { h, show } from "./h";
import { PanelView, type PanelActions } from "./session_panel_view";
import type { SignalPayload } from "./wire";

export class SessionsView {
  readonly el: HTMLElement;
  private readonly list = h("div", { class: "panes", testid: "sessions" });
  private readonly empty = h("p", { class: "muted" }, "Open a session from one of your codes to see who is in it, chat and invite colleagues.");
  private readonly views = new Map<number, PanelView>();

  constructor(private readonly actions: PanelActions) {
    this.el = h("section", { class: "sessions", "aria-labelledby": "sessions-title" },
      h("h2", { id: "sessions-title" }, "Sessions"),
      this.empty,
      this.list);
  }

  /**
   * Draws every panel of `s`; `slotFor(request)` is the Session area of a taken request's
   * pane (null when that pane is gone).
   */
  render(s: ConsoleState, nowMs: number, slotFor: (request: number) => HTMLElement | null): void {
    const wanted = new Set(s.panels.map((p) => p.id));
    for (const [id, view] of this.views) {
      if (!wanted.has(id)) {
        view.dispose();
        view.el.remove();
        this.views.delete(id);
      }
    }
    let inList = 0;
    for (const panel of s.panels) {
      let view = this.views.get(panel.id);
      if (view === undefined) {
        view = new PanelView(panel, this.actions);
        this.views.set(panel.id, view);
      }
      const slot = panel.request === null ? null : slotFor(panel.request);
      const home = slot ?? this.list;
      if (slot === null) inList += 1;
      if (view.el.parentElement !== home) home.appendChild(view.el);
      view.render(panel, nowMs, s.functions);
    }
    show(this.empty, inList === 0);
  }

  /** Advances the panels' countdowns. */
  tick(nowMs: number): void {
    for (const view of this.views.values()) view.tick(nowMs);
  }

  /** A signal for panel `id`'s screen. */
  signal(id: number, from: number, payload: SignalPayload): void {
    this.views.get(id)?.signal(from, payload);
  }

  /** Brings panel `id` into view. */
  focus(id: number): void {
    this.views.get(id)?.focus();
  }
}
