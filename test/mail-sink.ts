import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server for tests: it receives what the app sends and parses each message with mailparser.
 * `refuse` makes it answer every message with a temporary failure (451), like a server that is down for mail.
 */
export interface MailSink {
  url: string;
  messages: ParsedMail[];
  /** Raw messages as received, in the same order. */
  raw: Buffer[];
  refuse: boolean;
  /** Messages sent to `address`. */
  to(address: string): ParsedMail[];
  clear(): void;
  close(): Promise<void>;
}

export async function startMailSink(): Promise<MailSink> {
  const sink = {
    messages: [] as ParsedMail[],
    raw: [] as Buffer[],
    refuse: false,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (sink.refuse) {
          callback(Object.assign(new Error("Mailbox temporarily unavailable"), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            sink.raw.push(raw);
            sink.messages.push(parsed);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return Object.assign(sink, {
    url: `smtp://127.0.0.1:${port}`,
    to: (address: string) =>
      sink.messages.filter((message) =>
        [message.to ?? []].flat().some((entry) => entry.value.some((value) => value.address === address)),
      ),
    clear: () => {
      sink.messages.length = 0;
      sink.raw.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
