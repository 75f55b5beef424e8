import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";

let server: TestServer;
let admin: Actor;
let agent: Actor;
let customer: Actor;
let otherCustomer: Actor;

// Small limits so the tests stay small: 2 KB per file, 3 files per message.
beforeAll(async () => {
  server = await startTestServer({ env: { UPLOAD_MAX_BYTES: "2KB", UPLOAD_MAX_FILES: "3" } });
  ({ admin, agent, customer, otherCustomer } = await createCast(server));
}, 300_000);
afterAll(async () => {
  await server?.close();
});

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
const PE = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(126)]);
const HTML = Buffer.from("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>");
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>');

const file = (content: Buffer | string, name: string, type = "application/octet-stream") =>
  new File([new Uint8Array(typeof content === "string" ? Buffer.from(content) : content)], name, { type });

const ATTACHMENT = "id fileName mimeType size inline url";
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { __typename
  ... on Ticket { id attachments { ${ATTACHMENT} } } ... on UploadRejectedError { code fileName message } } }`;
const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename
  ... on TicketMessage { id attachments { ${ATTACHMENT} } } ... on UploadRejectedError { code fileName message } } }`;

/** Creates a ticket with files; returns the GraphQL result. */
function createWithFiles(actor: Actor, files: File[]) {
  return server.upload(
    CREATE,
    { input: { subject: "Screenshots attached", description: "See the files.", attachments: files.map(() => null) } },
    Object.fromEntries(files.map((item, index) => [`input.attachments.${index}`, item])),
    actor.token,
  );
}

function replyWithFiles(actor: Actor, ticketId: string, files: File[], internal = false) {
  return server.upload(
    ADD_MESSAGE,
    { input: { ticketId, body: "Files attached", internal, attachments: files.map(() => null) } },
    Object.fromEntries(files.map((item, index) => [`input.attachments.${index}`, item])),
    actor.token,
  );
}

function download(path: string, token?: string) {
  return fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

const rowCounts = async () => ({
  tickets: await server.app.prisma.ticket.count(),
  messages: await server.app.prisma.ticketMessage.count(),
  attachments: await server.app.prisma.attachment.count(),
});

describe("uploads", () => {
  it("stores files sent with the multipart request, typed by their content", async () => {
    const result = await createWithFiles(customer, [
      file(PNG, "notes.txt", "text/plain"),
      file("just some words", "picture.png", "image/png"),
    ]);
    expect(result.data?.createTicket.__typename).toBe("Ticket");
    const [png, text] = result.data?.createTicket.attachments ?? [];
    expect(png).toMatchObject({ fileName: "notes.txt", mimeType: "image/png", size: PNG.length, inline: true });
    expect(text).toMatchObject({ fileName: "picture.png", mimeType: "text/plain", size: 15, inline: true });
    expect(png.url).toMatch(new RegExp(`^/files/${png.id}\\?expires=\\d+&signature=[\\w-]{43}$`));
  });

  it("stores identical content once, under its hash", async () => {
    const before = readdirSync(join(server.dataDir, "files"), { recursive: true }).length;
    const result = await createWithFiles(customer, [file(PNG, "again.png"), file(PNG, "and-again.png")]);
    expect(result.data?.createTicket.attachments).toHaveLength(2);
    expect(readdirSync(join(server.dataDir, "files"), { recursive: true }).length).toBe(before);
  });

  it.each([
    ["an ELF program", ELF, "tool"],
    ["a Windows program", PE, "setup.pdf"],
  ])("refuses %s whatever its name, storing nothing", async (_label, content, name) => {
    const before = await rowCounts();
    const created = await createWithFiles(customer, [file(PNG, "fine.png"), file(content, name)]);
    expect(created.data?.createTicket).toEqual({
      __typename: "UploadRejectedError",
      code: "UPLOAD_REJECTED",
      fileName: name,
      message: `${name}: programs cannot be attached`,
    });
    expect(await rowCounts()).toEqual(before);
  });

  it("refuses files over the size limit and leaves no ticket, message or attachment behind", async () => {
    const { id } = await createTicket(server, customer);
    const before = await rowCounts();
    const big = file(Buffer.alloc(2 * 1024 + 1, "a"), "big.log");
    const created = await createWithFiles(customer, [file(PNG, "small.png"), big]);
    expect(created.data?.createTicket).toMatchObject({
      __typename: "UploadRejectedError",
      fileName: "big.log",
      message: "big.log: larger than the 2 KB limit",
    });
    const replied = await replyWithFiles(customer, id, [big]);
    expect(replied.data?.addTicketMessage).toMatchObject({ __typename: "UploadRejectedError", fileName: "big.log" });
    // A file of exactly the limit is fine.
    const exact = await replyWithFiles(customer, id, [file(Buffer.alloc(2 * 1024, "a"), "exact.log")]);
    expect(exact.data?.addTicketMessage.attachments).toMatchObject([{ size: 2048, mimeType: "text/plain" }]);
    expect(await rowCounts()).toEqual({
      ...before,
      messages: before.messages + 1,
      attachments: before.attachments + 1,
    });
  });

  it("refuses more files per message than allowed", async () => {
    const { id } = await createTicket(server, customer);
    const before = await rowCounts();
    const four = [1, 2, 3, 4].map((n) => file(`file number ${n}`, `${n}.txt`));
    expect((await replyWithFiles(customer, id, four)).data?.addTicketMessage).toMatchObject({
      __typename: "UploadRejectedError",
      message: "4 files: at most 3 files per message",
    });
    expect((await createWithFiles(customer, four)).data?.createTicket.__typename).toBe("UploadRejectedError");
    // Far more than the limit is cut off while parsing and refused the same way.
    const many = Array.from({ length: 12 }, (_, n) => file(`file ${n}`, `${n}.txt`));
    const flood = await replyWithFiles(customer, id, many);
    expect(flood.data?.addTicketMessage?.__typename ?? flood.errors?.[0]?.extensions?.code).toMatch(
      /UploadRejectedError|BAD_REQUEST/,
    );
    expect(await rowCounts()).toEqual(before);
  });
});

describe("request size", () => {
  it("answers 413 naming the limits to a body larger than any valid message", async () => {
    const { id } = await createTicket(server, customer);
    const before = await rowCounts();
    // 3 files × 2 KB + 1 MB for the operation: a body beyond that is refused before it is read.
    const huge = file(Buffer.alloc(1024 * 1024 + 8 * 1024, "a"), "huge.log");
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${customer.token}`, "graphql-require-preflight": "1" },
      body: (() => {
        const form = new FormData();
        form.append(
          "operations",
          JSON.stringify({
            query: ADD_MESSAGE,
            variables: { input: { ticketId: id, body: "x", attachments: [null] } },
          }),
        );
        form.append("map", JSON.stringify({ 0: ["variables.input.attachments.0"] }));
        form.append("0", huge, "huge.log");
        return form;
      })(),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({
      message:
        "The request is larger than the server accepts (1 MB): attach files of at most 2 KB each, 3 per message.",
      extensions: { code: "REQUEST_ENTITY_TOO_LARGE" },
    });
    expect(await rowCounts()).toEqual(before);
  });
});

describe("downloads", () => {
  let ticketId: string;
  let png: { id: string; url: string };
  let html: { id: string; url: string };
  let svg: { id: string };
  let note: { id: string; url: string };

  beforeAll(async () => {
    const created = await createWithFiles(customer, [
      file(PNG, "screen.png"),
      file(HTML, "page.txt", "text/plain"),
      file(SVG, "logo.svg"),
    ]);
    ticketId = created.data?.createTicket.id;
    [png, html, svg] = created.data?.createTicket.attachments ?? [];
    const internal = await replyWithFiles(agent, ticketId, [file("internal findings", "findings.txt")], true);
    [note] = internal.data?.addTicketMessage.attachments ?? [];
  });

  it("serves files to the requester and to staff, with the detected type", async () => {
    for (const actor of [customer, agent, admin]) {
      const response = await download(`/files/${png.id}`, actor.token);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(response.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''screen.png");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG);
    }
  });

  it("answers 404 to another customer and 401 without credentials", async () => {
    expect((await download(`/files/${png.id}`, otherCustomer.token)).status).toBe(404);
    expect((await download(`/files/${png.id}`)).status).toBe(401);
    expect((await download(`/files/${png.id}`, "not-a-token")).status).toBe(401);
    expect((await download(`/files/no-such-file`, agent.token)).status).toBe(404);
  });

  it("serves HTML and SVG only as sandboxed downloads", async () => {
    for (const [attachment, type] of [
      [html, "text/html"],
      [svg, "image/svg+xml"],
    ] as const) {
      const row = await server.app.prisma.attachment.findUniqueOrThrow({ where: { id: attachment.id } });
      expect(row).toMatchObject({ mimeType: type, inline: false });
      const response = await download(`/files/${attachment.id}`, customer.token);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("content-disposition")).toMatch(/^attachment; /);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    }
  });

  it("keeps internal-note files for staff", async () => {
    expect((await download(`/files/${note.id}`, agent.token)).status).toBe(200);
    expect((await download(`/files/${note.id}`, customer.token)).status).toBe(404);
    const seen = await server.gql(
      `query($id: ID!) { ticket(id: $id) { attachments { id } messages { edges { node { attachments { id } } } } } }`,
      { id: ticketId },
      customer.token,
    );
    expect(seen.data?.ticket).toEqual({
      attachments: [{ id: png.id }, { id: html.id }, { id: svg.id }],
      messages: { edges: [] },
    });
  });

  it("accepts a signed link without credentials until it expires", async () => {
    const signed = await download(png.url);
    expect(signed.status).toBe(200);
    expect(Buffer.from(await signed.arrayBuffer())).toEqual(PNG);
    // The signature is bound to the file: it opens no other.
    expect((await download(png.url.replace(png.id, html.id))).status).toBe(401);
    expect((await download(png.url.replace(/signature=[\w-]+/, `signature=${"A".repeat(43)}`))).status).toBe(401);
    server.clock.advance(16 * 60_000);
    try {
      expect((await download(png.url)).status).toBe(401);
    } finally {
      server.clock.advance(-16 * 60_000);
    }
  });
});
