import { createSignal, Show } from "solid-js";
import { client } from "../../graphql/client.ts";
import { currentPushEnvironment, pushOffer } from "../../lib/push-offer.ts";
import { RegisterPushMutation, VapidKeyQuery } from "./push-opt-in.documents.ts";

/** Registers a browser push subscription with the API; answers null when it worked, or what went wrong. */
export type PushRegistrar = (endpoint: string, keys: { p256dh: string; auth: string }) => Promise<string | null>;

/** The signed-in user's devices (hosts, agents, customers). */
const registerForUser: PushRegistrar = async (endpoint, keys) => {
  const result = await client.mutation(RegisterPushMutation, { endpoint, keys }).toPromise();
  const outcome = result.data?.registerPushSubscription;
  if (outcome?.__typename === "PushSubscription") return null;
  return outcome?.message ?? result.error?.message ?? "Could not register this device.";
};

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const toBase64Url = (buffer: ArrayBuffer | null) =>
  buffer
    ? btoa(String.fromCharCode(...new Uint8Array(buffer)))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "")
    : "";

/**
 * "Remind me on this device": asks for notification permission only after this click, subscribes through the
 * service worker's PushManager with the server's VAPID key and registers the subscription: for the signed-in user by
 * default (session reminders and ticket notifications), or through `register` (a participant's token).
 */
export function PushOptIn(props: { register?: PushRegistrar }) {
  const [state, setState] = createSignal<"idle" | "busy" | "done" | "error">("idle");
  const [message, setMessage] = createSignal("");
  const offer = pushOffer(currentPushEnvironment());

  const optIn = async () => {
    setState("busy");
    try {
      if ((await Notification.requestPermission()) !== "granted")
        throw new Error("Notifications are blocked for this site.");
      const key = await client.query(VapidKeyQuery, {}, { requestPolicy: "network-only" }).toPromise();
      if (!key.data) throw new Error(key.error?.message ?? "Push is not available.");
      const registration = await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(key.data.vapidPublicKey),
        }));
      const failure = await (props.register ?? registerForUser)(subscription.endpoint, {
        p256dh: toBase64Url(subscription.getKey("p256dh")),
        auth: toBase64Url(subscription.getKey("auth")),
      });
      if (failure) throw new Error(failure);
      setState("done");
      setMessage("Reminders will arrive on this device.");
    } catch (error) {
      setState("error");
      setMessage(error instanceof Error ? error.message : "Could not turn on reminders.");
    }
  };

  return (
    <Show
      when={offer === "offer"}
      fallback={
        <Show when={offer === "install-first"}>
          <p class="session-meta" data-testid="push-install-first">
            To get reminders on this iPhone or iPad, add Live Support to your Home Screen first: tap Share, then “Add to
            Home Screen”, and open it from there.
          </p>
        </Show>
      }
    >
      <div>
        <button
          type="button"
          class="button secondary"
          disabled={state() === "busy" || state() === "done"}
          onClick={() => void optIn()}
        >
          Remind me on this device
        </button>
        <p class={state() === "error" ? "error" : "session-meta"} role="status">
          {message()}
        </p>
      </div>
    </Show>
  );
}
