/// <reference lib="webworker" />
import { clientsClaim } from "workbox-core";
import { cleanupOutdatedCaches, createHandlerBoundToURL, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

// The manifest carries the workspace's name and colour (served by the API): the network's first, the build's offline.
// Registered before the precache's route, which would otherwise answer with the build's copy.
registerRoute(
  ({ url }) => url.pathname === "/manifest.webmanifest",
  async ({ request }) =>
    fetch(request).catch(async () => (await matchPrecache("/manifest.webmanifest")) ?? Response.error()),
);
// The app shell (HTML, JS, CSS, icons) is precached; any page URL opens it offline.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("/index.html"), {
    denylist: [/^\/graphql/, /^\/files\//, /^\/peerjs/, /^\/healthz/, /^\/readyz/, /^\/dev\//],
  }),
);

// A new version waits until the user accepts the update prompt (workbox-window's messageSkipWaiting).
self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});
clientsClaim();

/** What the server sends in a push message. */
interface PushPayload {
  title?: string;
  body?: string;
  /** Path or same-origin URL to open when the notification is clicked. */
  url?: string;
  tag?: string;
}

function readPush(event: PushEvent): PushPayload {
  if (!event.data) return {};
  try {
    return event.data.json() as PushPayload;
  } catch {
    return { body: event.data.text() };
  }
}

self.addEventListener("push", (event) => {
  const payload = readPush(event);
  event.waitUntil(
    self.registration.showNotification(payload.title ?? "Live Support", {
      body: payload.body ?? "",
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      tag: payload.tag,
      data: { url: payload.url ?? "/" },
    }),
  );
});

/** Only same-origin targets: a push payload must not send the user elsewhere. */
function targetUrl(raw: unknown): string {
  try {
    const url = new URL(typeof raw === "string" ? raw : "/", self.location.origin);
    return url.origin === self.location.origin ? url.href : self.location.origin;
  } catch {
    return self.location.origin;
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = targetUrl((event.notification.data as { url?: string } | null)?.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const existing = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (existing) {
        await existing.focus();
        await existing.navigate(url);
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});
