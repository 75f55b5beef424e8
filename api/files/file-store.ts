import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileTypeFromBuffer } from "file-type";
import { UploadRejectedError } from "../errors.ts";

export interface StoredFile {
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  /** Whether a browser may show it in place; everything else is served as a download. */
  inline: boolean;
}

export interface UploadLimits {
  maxBytes: number;
  maxFiles: number;
}

/** Types a browser can display without running anything. */
const INLINE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "application/pdf",
  "video/mp4",
  "video/webm",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "audio/webm",
  "text/plain",
]);

/** Programs are refused outright: there is no safe way to hand them to a customer or an agent. */
const REFUSED_TYPES = new Set([
  "application/x-msdownload",
  "application/vnd.microsoft.portable-executable",
  "application/x-elf",
  "application/x-mach-binary",
  "application/x-executable",
  "application/x-sharedlib",
  "application/x-msi",
  "application/x-apple-diskimage",
  "application/java-archive",
  "application/x-ms-shortcut",
]);

function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, 64 * 1024));
    return true;
  } catch {
    return false;
  }
}

/** Markup a browser would render (and run scripts in) if it were shown in place; WHATWG MIME sniffing's patterns. */
const HTML_START =
  /^\s*<(?:!--|(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p)[\s>])/i;
const SVG_START = /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!doctype\s+svg[^>]*>\s*)*<svg[\s>]/i;

function markupType(bytes: Uint8Array): string | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 8192)).replace(/^\uFEFF/, "");
  if (SVG_START.test(head)) return "image/svg+xml";
  if (HTML_START.test(head)) return "text/html";
  return null;
}

/** Detects the type from the content, never from the name the client chose. */
export async function detectType(bytes: Uint8Array): Promise<string> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected?.mime === "application/xml") return markupType(bytes) ?? detected.mime;
  if (detected) return detected.mime;
  if (!looksLikeText(bytes)) return "application/octet-stream";
  return markupType(bytes) ?? "text/plain";
}

/** 2097152 → "2 MB", 2048 → "2 KB". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ["GB", 1024 ** 3],
    ["MB", 1024 ** 2],
    ["KB", 1024],
  ] as const) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10} ${unit}`;
  }
  return `${bytes} bytes`;
}

function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = [...base]
    .filter((character) => character !== '"' && character.charCodeAt(0) > 0x1f && character.charCodeAt(0) !== 0x7f)
    .join("")
    .trim()
    .slice(0, 200);
  return cleaned || "file";
}

/** Content-addressed files under `<root>/<first two hex digits>/<sha256>`; identical uploads share one file. */
export class FileStore {
  constructor(
    private readonly root: string,
    readonly limits: UploadLimits,
  ) {}

  /** Checks every file against the limits before any is stored, so a rejected batch leaves nothing behind. */
  assertAcceptable(files: readonly File[]): void {
    if (files.length > this.limits.maxFiles) {
      throw new UploadRejectedError(`${files.length} files`, `at most ${this.limits.maxFiles} files per message`);
    }
    for (const file of files) {
      if (file.size > this.limits.maxBytes) {
        throw new UploadRejectedError(
          cleanFileName(file.name),
          `larger than the ${formatBytes(this.limits.maxBytes)} limit`,
        );
      }
      if (file.size === 0) throw new UploadRejectedError(cleanFileName(file.name), "the file is empty");
    }
  }

  /**
   * Reads and checks a file without storing it: the size again (the client's claim is not trusted) and the type,
   * detected from the content. Programs are refused.
   */
  async inspect(file: File): Promise<{ meta: StoredFile; bytes: Uint8Array }> {
    const fileName = cleanFileName(file.name);
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > this.limits.maxBytes) {
      throw new UploadRejectedError(fileName, `larger than the ${formatBytes(this.limits.maxBytes)} limit`);
    }
    if (bytes.byteLength === 0) throw new UploadRejectedError(fileName, "the file is empty");
    const mimeType = await detectType(bytes);
    if (REFUSED_TYPES.has(mimeType)) throw new UploadRejectedError(fileName, "programs cannot be attached");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    return { meta: { fileName, mimeType, size: bytes.byteLength, sha256, inline: INLINE_TYPES.has(mimeType) }, bytes };
  }

  /** Writes an inspected file under its hash (once: identical uploads share it). */
  async write({ meta, bytes }: { meta: StoredFile; bytes: Uint8Array }): Promise<StoredFile> {
    const path = this.pathOf(meta.sha256);
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(join(this.root, meta.sha256.slice(0, 2)), { recursive: true });
      const temporary = `${path}.${randomUUID()}.part`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    }
    return meta;
  }

  async save(file: File): Promise<StoredFile> {
    return this.write(await this.inspect(file));
  }

  open(sha256: string) {
    return createReadStream(this.pathOf(sha256));
  }

  private pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error("not a SHA-256 digest");
    return join(this.root, sha256.slice(0, 2), sha256);
  }
}
