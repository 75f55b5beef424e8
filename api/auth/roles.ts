import type { Role } from "../generated/prisma/enums.ts";

/** Agents and admins work tickets and host sessions; customers do neither. */
export function isStaff(role: Role): boolean {
  return role === "AGENT" || role === "ADMIN";
}
