import { createSignal } from "solid-js";
// The shell's logo and the checklist (on the inbox) use it too, so it loads with the shell.
import "./workspace.css";

/** The workspace's look (name, logo, accent colour) applied to the shell: header, CSS variables, title, theme colour. */
export interface WorkspaceLook {
  name: string;
  accentColor: string;
  logoUrl: string | null;
}

const LOOK_KEY = "live-support.workspace";
export const DEFAULT_LOOK: WorkspaceLook = { name: "Live Support", accentColor: "#1d4ed8", logoUrl: null };

function readStoredLook(): WorkspaceLook {
  try {
    const raw = localStorage.getItem(LOOK_KEY);
    return raw ? { ...DEFAULT_LOOK, ...(JSON.parse(raw) as Partial<WorkspaceLook>) } : DEFAULT_LOOK;
  } catch {
    return DEFAULT_LOOK;
  }
}

const [look, setLook] = createSignal<WorkspaceLook>(readStoredLook());
/** The look last seen (kept on this device, so the shell opens in it offline and before the first answer). */
export const workspaceLook = look;

/** "#1d4ed8" mixed with black: the header's darker shade, readable under white text whatever the accent. */
export function darker(hex: string, keep = 0.6): string {
  const channels = [1, 3, 5].map((start) => Math.round(Number.parseInt(hex.slice(start, start + 2), 16) * keep));
  return `#${channels.map((value) => value.toString(16).padStart(2, "0")).join("")}`;
}

function render(current: WorkspaceLook) {
  const root = document.documentElement.style;
  root.setProperty("--brand", current.accentColor);
  root.setProperty("--brand-dark", darker(current.accentColor));
  document.title = current.name;
  document.querySelector('meta[name="theme-color"]')?.setAttribute("content", current.accentColor);
  document.querySelector('meta[name="apple-mobile-web-app-title"]')?.setAttribute("content", current.name);
}

export function applyLook(next: WorkspaceLook): void {
  setLook(next);
  try {
    localStorage.setItem(LOOK_KEY, JSON.stringify(next));
  } catch {
    // Private mode or a full disk: the look still applies to this page.
  }
  render(next);
}

render(look());
