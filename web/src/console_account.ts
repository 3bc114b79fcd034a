// The console's Account page (every logged-in representative): one's own second factor.
// Off: a button starts a setup; the portal answers with a secret to enter in an authenticator
// app (shown in groups of 4, copied whole) and an otpauth:// link, confirmed with the app's
// code. On: the app's code turns it off. The logic is in account.ts; errors show at
// #factor-error.

import {
  FACTOR_RULE,
  FACTOR_SETUP,
  factorMode,
  factorRequest,
  factorStatus,
  groupSecret,
  OTP_LABEL,
  otpauthLink,
  type FactorMode,
  type FactorState,
} from "./account";
import type { ConsoleState } from "./console";
import { field, h, replace, setText, show } from "./h";
import type { ClientMessage, SecondFactorSetup } from "./wire";

export interface AccountActions {
  /** Send a second_factor request (the page waits for its answer). */
  send(msg: ClientMessage): void;
  /** The code field was refused before sending: say why. */
  invalid(why: string): void;
  /** Back to the console. */
  close(): void;
}

export class AccountView {
  readonly el: HTMLElement;
  private readonly status = h("strong", { id: "factor-status", testid: "factor-status" });
  private readonly error = h("p", { id: "factor-error", class: "form-error", testid: "factor-error", role: "alert", hidden: true });
  /** The setup's secret and link (rebuilt for each setup). */
  private readonly setupArea = h("div", { class: "factor-setup", testid: "factor-setup-area", hidden: true });
  /** Holds the setup button while the factor is off (and nothing else). */
  private readonly start = h("div", { class: "factor-start" });
  private readonly setupButton = h("button", { type: "button", id: "factor-setup", testid: "factor-setup", on: { click: () => this.actions.send(FACTOR_SETUP) } }, "Set up a second factor");
  private readonly code = h("input", {
    type: "text", id: "factor-code", testid: "factor-code", inputmode: "numeric", autocomplete: "one-time-code",
    maxlength: 9, spellcheck: "false",
  });
  private readonly onButton = h("button", { type: "submit", id: "factor-on", testid: "factor-on" }, "Turn on");
  private readonly offButton = h("button", { type: "submit", id: "factor-off", class: "danger", testid: "factor-off" }, "Turn off");
  private readonly buttons = h("div", { class: "factor-buttons" });
  private readonly form: HTMLFormElement;
  private readonly copied = h("span", { class: "muted", testid: "factor-copied", role: "status" });
  /** What the page was last drawn from. */
  private shownMode: FactorMode | null = null;
  private shownSetup: SecondFactorSetup | null = null;

  constructor(private readonly actions: AccountActions) {
    this.form = h("form", { class: "inline factor-form", novalidate: true, hidden: true, on: { submit: (e) => {
      e.preventDefault();
      const msg = factorRequest(this.shownMode !== "on", this.code.value);
      if (typeof msg === "string") {
        this.actions.invalid(msg);
        this.code.focus();
        return;
      }
      this.actions.send(msg);
    } } },
      field(OTP_LABEL, this.code),
      this.buttons);
    this.el = h("div", { class: "account", id: "account", testid: "account", hidden: true },
      h("div", { class: "pane-head" },
        h("h2", null, "Your account"),
        h("button", { type: "button", class: "secondary", id: "account-close", testid: "account-close", on: { click: () => this.actions.close() } }, "Back to the console")),
      h("section", { class: "card", "aria-labelledby": "factor-title" },
        h("h3", { id: "factor-title" }, "Second factor"),
        h("p", null, FACTOR_RULE),
        h("p", { class: "factor-state" }, "Second factor: ", this.status),
        this.start,
        this.setupArea,
        this.form,
        this.error));
  }

  render(s: ConsoleState): void {
    show(this.el, s.accountOpen);
    if (!s.accountOpen) {
      // Leaving the page takes a typed code and the last setup's secret off it.
      this.code.value = "";
      this.shownMode = null;
      this.shownSetup = null;
      replace(this.setupArea);
      return;
    }
    const f = s.factor;
    const mode = factorMode(f);
    setText(this.status, factorStatus(f));
    show(this.error, f.error !== null);
    setText(this.error, f.error ?? "");
    this.setupButton.disabled = f.pending || s.lost;
    this.onButton.disabled = f.pending || s.lost;
    this.offButton.disabled = f.pending || s.lost;
    if (mode !== this.shownMode || f.setup !== this.shownSetup) this.redraw(f, mode);
  }

  /** The controls of `mode`: only its own buttons are on the page. */
  private redraw(f: FactorState, mode: FactorMode): void {
    const first = this.shownMode === null;
    this.shownMode = mode;
    this.shownSetup = f.setup;
    this.code.value = "";
    setText(this.copied, "");
    replace(this.start, mode === "off" ? this.setupButton : null);
    show(this.setupArea, mode === "setup");
    replace(this.setupArea, f.setup === null ? null : this.setupSteps(f.setup));
    show(this.form, mode !== "off");
    replace(this.buttons, mode === "on" ? this.offButton : mode === "setup" ? this.onButton : null);
    if (!first && mode === "setup") this.code.focus();
  }

  private setupSteps(setup: SecondFactorSetup): HTMLElement {
    const raw = setup.secret.replace(/\s+/g, "");
    const secret = h("code", { id: "factor-secret", class: "secret", testid: "factor-secret", "data-secret": raw }, groupSecret(raw));
    // Copying by hand takes the key without the spaces between its groups.
    secret.addEventListener("copy", (e) => {
      const compact = (window.getSelection()?.toString() ?? "").replace(/\s+/g, "");
      if (compact === "" || !raw.includes(compact) || e.clipboardData === null) return;
      e.clipboardData.setData("text/plain", compact);
      e.preventDefault();
    });
    const copy = h("button", { type: "button", class: "secondary small", id: "factor-copy", testid: "factor-copy", on: { click: () => void this.copy(raw) } }, "Copy key");
    const link = otpauthLink(setup.uri);
    return h("ol", { class: "factor-steps" },
      h("li", null, "In your authenticator app, add an account with this key: ", secret, " ", copy, " ", this.copied),
      link === null ? null : h("li", null, "Or, on the device with the app, ",
        h("a", { id: "factor-uri", testid: "factor-uri", href: link }, "open this setup link"), "."),
      h("li", null, "Enter the code the app shows now and turn the second factor on."));
  }

  private async copy(raw: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(raw);
      setText(this.copied, "Key copied.");
    } catch {
      setText(this.copied, "The key could not be copied here; select it and copy it by hand.");
    }
  }
}
