// The screen's files bar: send a file to the customer, browse the folder the customer shares
// and fetch from it, and the transfers with their progress (a fetched file is saved from a
// link once its SHA-256 matched). Shown only with the FILES right; the agent decides anyway.

import { formatBytes } from "../format";
import { h, replace, show } from "../h";
import type { DirEntry } from "./files_wire";
import type { TransferInfo, Transfers } from "./transfers";

export class FilesView {
  readonly el: HTMLElement;
  private readonly picker = h("input", { type: "file", testid: "file-picker", hidden: true });
  private readonly path = h("input", { type: "text", testid: "fetch-path", placeholder: "path in the shared folder", "aria-label": "Path in the customer's shared folder", autocomplete: "off" });
  private readonly listing = h("ul", { class: "dir-listing", testid: "dir-listing", hidden: true });
  private readonly list = h("ul", { class: "transfers", testid: "transfers" });
  private transfers: Transfers | null = null;
  /** Object URLs of fetched files shown for saving (revoked on dispose). */
  private readonly urls = new Set<string>();

  constructor() {
    this.picker.addEventListener("change", () => {
      for (const file of this.picker.files ?? []) void this.transfers?.sendFile(file);
      this.picker.value = "";
    });
    const fetchForm = h("form", { class: "inline", novalidate: true, on: { submit: (e) => {
      e.preventDefault();
      const path = this.path.value.trim();
      if (path !== "") this.transfers?.fetch(path);
    } } }, this.path, h("button", { type: "submit", class: "button secondary", testid: "fetch-file" }, "Fetch"));
    this.el = h("div", { class: "files-bar", testid: "files" },
      h("button", { type: "button", class: "button secondary", testid: "send-file", on: { click: () => this.picker.click() } }, "Send a file…"),
      this.picker,
      h("button", { type: "button", class: "button secondary", testid: "browse", on: { click: () => this.transfers?.list("") } }, "Browse shared folder"),
      fetchForm,
      this.listing,
      this.list);
    show(this.el, false);
  }

  /** The current link's transfers (null while there is no link). */
  attach(transfers: Transfers | null): void {
    this.transfers = transfers;
  }

  setAllowed(allowed: boolean): void {
    show(this.el, allowed);
  }

  showListing(path: string, entries: readonly DirEntry[]): void {
    const join = (name: string): string => (path === "" ? name : `${path}/${name}`);
    replace(this.listing, entries.length === 0
      ? h("li", { class: "muted" }, "The folder is empty.")
      : null,
    ...entries.map((e) => h("li", null,
      h("button", { type: "button", class: "link", testid: "dir-entry", on: { click: () => {
        if (e.isDir) this.transfers?.list(join(e.name));
        else this.path.value = join(e.name);
      } } }, e.isDir ? `${e.name}/` : e.name),
      e.isDir ? null : h("span", { class: "muted" }, ` ${formatBytes(e.size)}`))));
    show(this.listing, true);
  }

  /** Frees the fetched files' memory (the screen is gone). */
  dispose(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls.clear();
  }

  render(list: readonly TransferInfo[]): void {
    for (const t of list) if (t.url !== null) this.urls.add(t.url);
    replace(this.list, ...list.map((t) => {
      const what = t.direction === "send" ? `To the customer: ${t.name}` : `From the customer: ${t.name}`;
      const status = t.state === "failed"
        ? `failed: ${t.reason ?? ""}`
        : t.state === "complete"
          ? "done"
          : t.state === "waiting"
            ? "waiting for the customer"
            : `${formatBytes(t.done)} of ${formatBytes(t.size)}`;
      return h("li", { testid: `transfer-${t.id}`, "data-state": t.state },
        what, " — ", status,
        t.url === null ? null : h("a", { class: "button small", testid: `save-file-${t.id}`, href: t.url, download: t.name }, "Save"));
    }));
  }
}
