import type { Role } from "../generated/prisma/enums.ts";
import type { Viewer } from "./auth.service.ts";

/** Agents and admins work tickets and host sessions; customers do neither. */
export function isStaff(role: Role): boolean {
  return role === "AGENT" || role === "ADMIN";
}

/** A viewer the `agent` scope let through: services taking one need not check the role again. */
export type StaffViewer = Viewer & { role: "AGENT" | "ADMIN" };

export function isStaffViewer(viewer: Viewer): viewer is StaffViewer {
  return isStaff(viewer.role);
}

/** A viewer the `admin` scope let through. */
export type AdminViewer = Viewer & { role: "ADMIN" };
