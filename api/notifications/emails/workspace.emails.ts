import { type EmailMessage, layout } from "./layout.ts";

/** The workspace settings' "Send test email": proves the mail path and shows the brand as recipients will see it. */
export function testEmail(data: { to: string; name: string; workspace: string; url: string }): EmailMessage {
  return {
    to: data.to,
    subject: `Test email from ${data.workspace}`,
    ...layout({
      heading: "Your email works",
      paragraphs: [
        `Hello ${data.name},`,
        `This is the test email you asked for in the settings of ${data.workspace}. If it reached your inbox, customers and agents get their notifications too, with this name, logo and colour.`,
      ],
      action: { label: "Back to the settings", url: data.url },
      footer: "You receive this because you pressed “Send test email” in the workspace settings.",
    }),
  };
}
