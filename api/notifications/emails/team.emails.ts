import { type EmailMessage, layout } from "./layout.ts";

const until = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** An admin's invitation to join the team as an agent or admin: the link sets a password and signs in. */
export function teamInviteEmail(data: {
  to: string;
  name: string;
  invitedBy: string;
  role: "ADMIN" | "AGENT" | "CUSTOMER";
  url: string;
  expiresAt: Date;
}): EmailMessage {
  const role = data.role === "ADMIN" ? "an admin" : "an agent";
  return {
    to: data.to,
    subject: `${data.invitedBy} invited you to Live Support`,
    ...layout({
      heading: "You are invited to the team",
      paragraphs: [
        `Hello ${data.name},`,
        `${data.invitedBy} invited you to answer tickets and host sessions on Live Support as ${role}. Choose a password with the link below to join.`,
        "If you did not expect this, ignore this email: no account is made until the link is used.",
      ],
      details: [["Link valid until", until(data.expiresAt)]],
      action: { label: "Join the team", url: data.url },
      footer: "You receive this because an admin of this Live Support workspace typed in your address.",
    }),
  };
}
