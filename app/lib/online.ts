import { createSignal } from "solid-js";

const [online, setOnline] = createSignal(navigator.onLine);
addEventListener("online", () => setOnline(true));
addEventListener("offline", () => setOnline(false));

/** Whether the browser believes it has a network connection. */
export const isOnline = online;
