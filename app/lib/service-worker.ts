import { createSignal } from "solid-js";
import { Workbox } from "workbox-window";

const [updateReady, setUpdateReady] = createSignal(false);
let workbox: Workbox | null = null;

/** True once a new version is installed and waiting: the app offers to reload. */
export const updateAvailable = updateReady;

/** Registers the service worker (production builds only; the dev server serves no sw.js). */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !("serviceWorker" in navigator)) return;
  workbox = new Workbox("/sw.js", { scope: "/" });
  workbox.addEventListener("waiting", () => setUpdateReady(true));
  workbox.addEventListener("controlling", (event) => {
    if (event.isUpdate) location.reload();
  });
  void workbox.register();
}

/** Activates the waiting version; the page reloads when it takes control. */
export function applyUpdate(): void {
  workbox?.messageSkipWaiting();
}
