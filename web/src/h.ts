// A tiny helper that builds DOM elements. Text is only ever set through `textContent` and
// attributes through `setAttribute`, so every value from the portal is escaped by
// construction: nothing here (or anywhere in the app) assigns innerHTML.

export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  /** data-testid, for the end-to-end tests. */
  testid?: string;
  class?: string;
  /** Event handlers: `on: { click: () => ... }`. */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  /** Attributes set as attributes (strings), or removed when false/undefined. */
  [attr: string]: unknown;
}

/** Builds `<tag ...attrs>children</tag>`. Strings and numbers become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs !== null) {
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "on") continue;
      if (key === "testid") {
        if (typeof value === "string") el.dataset.testid = value;
      } else if (value === true) {
        el.setAttribute(key, "");
      } else if (typeof value === "string" || typeof value === "number") {
        el.setAttribute(key, String(value));
      }
    }
    const on = attrs.on;
    if (on !== undefined) {
      for (const [event, handler] of Object.entries(on)) {
        el.addEventListener(event, handler as EventListener);
      }
    }
  }
  append(el, children);
  return el;
}

/** Appends children (text for strings and numbers; nothing for null/false). */
export function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all of an element's children. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild !== null) el.removeChild(el.firstChild);
  append(el, children);
}

/** Sets an element's text, only when it changed (keeps selections stable). */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Shows or hides an element (the `hidden` attribute). */
export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}

/** A labelled form row: `<label><span>text</span> input</label>`. */
export function field(label: Child | Child[], control: HTMLElement, ...extra: Child[]): HTMLLabelElement {
  const text = Array.isArray(label) ? label : [label];
  return h("label", { class: "field" }, h("span", { class: "label" }, ...text), control, ...extra);
}
