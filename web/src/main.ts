// Entry point: one app for every page the portal serves. Routes by the address:
// `/p/<name>` is a customer portal page, `/console` the representative console, anything
// else a "page not found" message.

import { startConsole } from "./console_view";
import { startCustomerPage } from "./customer_view";
import { startViewerPage } from "./viewer/viewer_view";
import { h, replace } from "./h";
import { routeOf } from "./route";

function notFound(root: HTMLElement): void {
  document.title = "Tandem — page not found";
  replace(
    root,
    h("div", { class: "page" },
      h("section", { class: "card", testid: "not-found" },
        h("h1", null, "Page not found"),
        h("p", null, "There is nothing at this address."),
        h("p", null, h("a", { href: "/" }, "Go to the start page")))),
  );
}

function main(): void {
  const root = document.getElementById("app") ?? document.body;
  const route = routeOf(location.pathname, location.search);
  switch (route.page) {
    case "customer":
      startCustomerPage(root, route.portal);
      break;
    case "console":
      startConsole(root);
      break;
    case "viewer":
      startViewerPage(root, route.key, route.linkToken);
      break;
    case "not_found":
      notFound(root);
      break;
  }
}

main();
