/**
 * Whether to offer push reminders on this device, following the browsers' rules:
 * - Safari on iPhone and iPad delivers Web Push only to a web app added to the Home Screen (and exposes PushManager
 *   only there), so in a Safari tab the app explains how to install instead of offering a button that cannot work;
 * - installed (display-mode standalone, or iOS's navigator.standalone) with push support: offer it;
 * - elsewhere (Chrome, Edge, Firefox, Safari on a Mac) push works in a tab: offer it when the browser has it.
 */
export type PushOffer = "offer" | "install-first" | "unsupported";

export interface PushEnvironment {
  /** The app runs from the Home Screen / as an installed app. */
  standalone: boolean;
  /** iPhone, iPad or iPod (every browser there is Safari's engine). */
  appleMobile: boolean;
  /** Service worker and PushManager are both there. */
  pushSupported: boolean;
}

export function pushOffer(environment: PushEnvironment): PushOffer {
  if (environment.appleMobile && !environment.standalone) return "install-first";
  return environment.pushSupported ? "offer" : "unsupported";
}

/** This browser's answers to `PushEnvironment`, feature-detected. */
export function currentPushEnvironment(): PushEnvironment {
  if (typeof window === "undefined") return { standalone: false, appleMobile: false, pushSupported: false };
  const iosNavigator = navigator as Navigator & { standalone?: boolean };
  const standalone =
    iosNavigator.standalone === true || (window.matchMedia?.("(display-mode: standalone)").matches ?? false);
  // navigator.standalone exists only in Safari on iOS and iPadOS; iPadOS otherwise calls itself a Mac with touch.
  const appleMobile =
    "standalone" in iosNavigator ||
    /iPhone|iPad|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const pushSupported = "serviceWorker" in navigator && "PushManager" in window;
  return { standalone, appleMobile, pushSupported };
}
