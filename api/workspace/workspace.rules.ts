import { z } from "zod";
import { TicketCategory } from "../generated/prisma/enums.ts";

/** What an admin may set, and the limits the server enforces (docs/workspace.md). */

export const NAME_MAX = 60;
export const CATEGORY_LABEL_MAX = 40;
export const LOGO_MAX_BYTES = 512 * 1024;
/** Raster images only: an SVG logo could carry scripts. */
export const LOGO_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
/** WCAG 2 AA for normal text: the PWA and the emails put white text on the accent, and accent text on white. */
export const MIN_CONTRAST = 4.5;

export const DEFAULT_ACCENT = "#1d4ed8";
export const DEFAULT_CATEGORY_LABELS: Record<TicketCategory, string> = {
  GENERAL: "General",
  TECHNICAL: "Technical",
  BILLING: "Billing",
  ACCOUNT: "Account",
  FEATURE_REQUEST: "Feature request",
  OTHER: "Other",
};

export interface BusinessHours {
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  day: number;
  /** "HH:MM", 24-hour clock, in the workspace's time zone. */
  opens: string;
  closes: string;
}

export interface CategorySetting {
  category: TicketCategory;
  label: string;
  enabled: boolean;
}

function channel(hex: string): number {
  const value = Number.parseInt(hex, 16) / 255;
  return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of "#rrggbb". */
export function luminance(color: string): number {
  const [r, g, b] = [1, 3, 5].map((start) => channel(color.slice(start, start + 2)));
  return 0.2126 * (r as number) + 0.7152 * (g as number) + 0.0722 * (b as number);
}

/** Contrast ratio of white text on `color` (the same as `color` text on white), 1 to 21. */
export function contrastWithWhite(color: string): number {
  return 1.05 / (luminance(color) + 0.05);
}

/** A real IANA zone name ("Europe/Paris", "UTC"), not an offset such as "+01:00" that Intl also accepts. */
export function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const time = z.string().regex(TIME, "Use a 24-hour time such as 09:00");

export const workspaceInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Give the workspace a name")
    .max(NAME_MAX, `At most ${NAME_MAX} characters`)
    .refine(
      (name) => ![...name].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f),
      "Control characters are not allowed",
    ),
  accentColor: z
    .string()
    .trim()
    .transform((value) => value.toLowerCase())
    .pipe(z.string().regex(/^#[0-9a-f]{6}$/, "Use a hex colour such as #1d4ed8"))
    .superRefine((color, context) => {
      const contrast = contrastWithWhite(color);
      if (contrast < MIN_CONTRAST) {
        context.addIssue({
          code: "custom",
          message: `White text on ${color} is hard to read (contrast ${contrast.toFixed(1)}:1, needs ${MIN_CONTRAST}:1): choose a darker colour`,
        });
      }
    }),
  timeZone: z.string().trim().refine(isTimeZone, "Choose a time zone such as Europe/Paris or America/New_York"),
  businessHours: z
    .array(
      z
        .object({ day: z.number().int().min(1).max(7), opens: time, closes: time })
        // Compared only once both are well-formed times (zod still runs this when a field failed).
        .refine((hours) => !TIME.test(hours.opens) || !TIME.test(hours.closes) || hours.opens < hours.closes, {
          message: "Closing time must be after opening time",
          path: ["closes"],
        }),
    )
    .max(7)
    .refine((days) => new Set(days.map((hours) => hours.day)).size === days.length, "Each weekday at most once")
    .transform((days) => [...days].sort((a, b) => a.day - b.day)),
  ticketCategories: z
    .array(
      z.object({
        category: z.enum(TicketCategory),
        label: z
          .string()
          .trim()
          .min(1, "Give the category a name")
          .max(CATEGORY_LABEL_MAX, `At most ${CATEGORY_LABEL_MAX} characters`),
        enabled: z.boolean(),
      }),
    )
    .superRefine((categories, context) => {
      const missing = Object.values(TicketCategory).filter(
        (category) => !categories.some((entry) => entry.category === category),
      );
      if (missing.length || categories.length !== Object.values(TicketCategory).length) {
        context.addIssue({
          code: "custom",
          message: `List each category once (missing: ${missing.join(", ") || "none"})`,
        });
      }
      const seen = new Map<string, number>();
      categories.forEach((entry, index) => {
        const key = entry.label.toLocaleLowerCase();
        if (seen.has(key)) {
          context.addIssue({ code: "custom", path: [index, "label"], message: `"${entry.label}" is used twice` });
        }
        seen.set(key, index);
      });
      if (!categories.some((entry) => entry.enabled)) {
        context.addIssue({ code: "custom", message: "Keep at least one category for new tickets" });
      }
    }),
});

export type WorkspaceInput = z.infer<typeof workspaceInput>;

/** The stored categories, completed with defaults for any the row does not hold (a new row, a new enum value). */
export function categoriesOf(stored: unknown): CategorySetting[] {
  const list = Array.isArray(stored) ? (stored as CategorySetting[]) : [];
  return Object.values(TicketCategory).map(
    (category) =>
      list.find((entry) => entry.category === category) ?? {
        category,
        label: DEFAULT_CATEGORY_LABELS[category],
        enabled: true,
      },
  );
}

export function businessHoursOf(stored: unknown): BusinessHours[] {
  return Array.isArray(stored) ? (stored as BusinessHours[]) : [];
}
