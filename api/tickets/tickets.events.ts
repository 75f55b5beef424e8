export const ticketEventKinds = ["CREATED", "MESSAGE_ADDED", "STATUS_CHANGED", "PRIORITY_CHANGED", "ASSIGNED"] as const;
export type TicketEventKind = (typeof ticketEventKinds)[number];
