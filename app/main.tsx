import { Router } from "@solidjs/router";
import { Provider } from "@urql/solid";
import { render } from "solid-js/web";
import { AppShell } from "./components/app-shell.tsx";
import { flushOutbox } from "./features/tickets/outbox.ts";
import { client } from "./graphql/client.ts";
import { registerServiceWorker } from "./lib/service-worker.ts";
import { routes } from "./routes.tsx";
import "./styles/base.css";
import "./styles/forms.css";
import "./styles/feedback.css";
import "./styles/tickets.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

render(
  () => (
    <Provider value={client}>
      <Router root={AppShell}>{routes}</Router>
    </Provider>
  ),
  root,
);

registerServiceWorker();
// Messages written offline go out as soon as the connection returns (and right away if it already has).
addEventListener("online", () => void flushOutbox(client));
void flushOutbox(client);
