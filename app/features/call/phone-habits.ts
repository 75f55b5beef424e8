import { onCleanup } from "solid-js";

/**
 * What a call on a phone needs from the browser, each feature-detected so a browser without it simply goes without:
 * the screen kept awake (Screen Wake Lock), picture-in-picture when the user switches apps, the audio output choice
 * (HTMLMediaElement.setSinkId), and the devices chosen last time (localStorage).
 */

/** Keeps the screen on while the owner is mounted; the lock is dropped by the browser when the page hides. */
export function keepScreenAwake(): void {
  const wakeLock = (navigator as Navigator & { wakeLock?: { request(type: "screen"): Promise<WakeLockSentinel> } })
    .wakeLock;
  if (!wakeLock) return;
  let sentinel: WakeLockSentinel | null = null;
  let disposed = false;
  const acquire = async () => {
    if (disposed || document.visibilityState !== "visible" || (sentinel && !sentinel.released)) return;
    sentinel = await wakeLock.request("screen").catch(() => null);
  };
  void acquire();
  document.addEventListener("visibilitychange", acquire);
  onCleanup(() => {
    disposed = true;
    document.removeEventListener("visibilitychange", acquire);
    void sentinel?.release().catch(() => undefined);
  });
}

/**
 * Shows `video()` picture-in-picture when the page is hidden (the user switched apps), and closes it when the page
 * comes back. Chrome also offers automatic picture-in-picture to calls through the Media Session action.
 */
export function pictureInPictureOnHide(video: () => HTMLVideoElement | undefined): void {
  if (!document.pictureInPictureEnabled) return;
  const enter = () => {
    const element = video();
    if (element && !element.disablePictureInPicture && element.readyState >= 1)
      void element.requestPictureInPicture().catch(() => undefined);
  };
  const onVisibility = () => {
    if (document.visibilityState === "hidden") enter();
    else if (document.pictureInPictureElement) void document.exitPictureInPicture().catch(() => undefined);
  };
  document.addEventListener("visibilitychange", onVisibility);
  try {
    navigator.mediaSession?.setActionHandler("enterpictureinpicture" as MediaSessionAction, enter);
  } catch {
    // This browser does not know the action.
  }
  onCleanup(() => {
    document.removeEventListener("visibilitychange", onVisibility);
    try {
      navigator.mediaSession?.setActionHandler("enterpictureinpicture" as MediaSessionAction, null);
    } catch {
      // As above.
    }
    if (document.pictureInPictureElement) void document.exitPictureInPicture().catch(() => undefined);
  });
}

/** Whether this browser lets a page pick the speaker or headset a media element plays to. */
export const canChooseAudioOutput =
  typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;

export interface DeviceChoice {
  audioDeviceId?: string;
  videoDeviceId?: string;
  audioOutputId?: string;
}

const DEVICES_KEY = "live-support.call-devices";

export function rememberedDevices(): DeviceChoice {
  try {
    return JSON.parse(localStorage.getItem(DEVICES_KEY) ?? "{}") as DeviceChoice;
  } catch {
    return {};
  }
}

export function rememberDevices(choice: DeviceChoice): void {
  try {
    localStorage.setItem(DEVICES_KEY, JSON.stringify({ ...rememberedDevices(), ...choice }));
  } catch {
    // Private mode or storage full: the choice just is not remembered.
  }
}

/**
 * Whether this site may already use camera and microphone (Permissions API), so starting them needs no prompt and
 * no user gesture. False where the answer is unknown (older Safari cannot query "camera").
 */
export async function mediaAlreadyAllowed(): Promise<boolean> {
  try {
    const states = await Promise.all(
      ["camera", "microphone"].map((name) => navigator.permissions.query({ name: name as PermissionName })),
    );
    return states.every((status) => status.state === "granted");
  } catch {
    return false;
  }
}
