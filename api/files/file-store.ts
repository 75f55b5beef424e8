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

/** Detects the type from the content, never from the name the client chose. */
export async function detectType(bytes: Uint8Array): Promise<string> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) return detected.mime;
  return looksLikeText(bytes) ? "text/plain" : "application/octet-stream";
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
          `larger than the ${Math.floor(this.limits.maxBytes / 1024 / 1024)} MB limit`,
        );
      }
      if (file.size === 0) throw new UploadRejectedError(cleanFileName(file.name), "the file is empty");
    }
  }

  async save(file: File): Promise<StoredFile> {
    const fileName = cleanFileName(file.name);
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > this.limits.maxBytes) {
      throw new UploadRejectedError(fileName, "larger than the upload limit");
    }
    const mimeType = await detectType(bytes);
    if (REFUSED_TYPES.has(mimeType)) throw new UploadRejectedError(fileName, "programs cannot be attached");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const path = this.pathOf(sha256);
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
      const temporary = `${path}.${randomUUID()}.part`;
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    }
    return { fileName, mimeType, size: bytes.byteLength, sha256, inline: INLINE_TYPES.has(mimeType) };
  }

  open(sha256: string) {
    return createReadStream(this.pathOf(sha256));
  }

  private pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error("not a SHA-256 digest");
    return join(this.root, sha256.slice(0, 2), sha256);
  }
}
