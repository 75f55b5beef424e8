import { type EmailMessage, layout } from "./layout.ts";

const footer = "You receive this because someone asked for it on your Live Support account.";
const until = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The single-use link to set a new password. */
export function passwordResetEmail(data: { to: string; name: string; url: string; expiresAt: Date }): EmailMessage {
  return {
    to: data.to,
    subject: "Reset your Live Support password",
    ...layout({
      heading: "Reset your password",
      paragraphs: [
        `Hello ${data.name},`,
        "Someone asked to reset the password of your account. If it was you, choose a new password with the link below; it works once.",
        "If it was not you, ignore this email: your password stays as it is.",
      ],
      details: [["Link valid until", until(data.expiresAt)]],
      action: { label: "Choose a new password", url: data.url },
      footer,
    }),
  };
}

/** Sent to the new address: following the link makes it the account's email. */
export function emailChangeConfirmEmail(data: {
  to: string;
  name: string;
  url: string;
  expiresAt: Date;
}): EmailMessage {
  return {
    to: data.to,
    subject: "Confirm your new Live Support email",
    ...layout({
      heading: "Confirm your new email",
      paragraphs: [
        `Hello ${data.name},`,
        "Confirm that this address should be the email of your Live Support account. Until you do, nothing changes.",
      ],
      details: [["Link valid until", until(data.expiresAt)]],
      action: { label: "Confirm this email", url: data.url },
      footer,
    }),
  };
}

/** Sent to the old address once the change is made, so a takeover does not go unnoticed. */
export function emailChangedEmail(data: { to: string; name: string; newEmail: string; url: string }): EmailMessage {
  return {
    to: data.to,
    subject: "Your Live Support email was changed",
    ...layout({
      heading: "Your email was changed",
      paragraphs: [
        `Hello ${data.name},`,
        `Your account now uses ${data.newEmail}. If you did not make this change, reply to your workspace's admins at once.`,
      ],
      action: { label: "Open Live Support", url: data.url },
      footer,
    }),
  };
}
