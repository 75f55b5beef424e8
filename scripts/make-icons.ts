import { mkdirSync, writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

/**
 * Draws the app icons (a white speech bubble on the brand blue) as PNGs without any image library, so the
 * committed icons can be regenerated offline: `npx tsx scripts/make-icons.ts`.
 */
const BRAND = [0x1d, 0x4e, 0xd8] as const;
const WHITE = [0xff, 0xff, 0xff] as const;

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** `scale` is the bubble's width as a share of the icon: maskable icons keep it inside the 80 % safe zone. */
function drawIcon(size: number, scale: number, rounded: boolean): Buffer {
  const rows: Buffer[] = [];
  const centre = size / 2;
  const radiusX = (size * scale) / 2;
  const radiusY = radiusX * 0.78;
  const corner = rounded ? size * 0.18 : 0;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const dx = Math.max(corner - px, px - (size - corner), 0);
      const dy = Math.max(corner - py, py - (size - corner), 0);
      const inside = corner === 0 || dx * dx + dy * dy <= corner * corner;
      const nx = (px - centre) / radiusX;
      const ny = (py - centre + radiusY * 0.12) / radiusY;
      const inBubble = nx * nx + ny * ny <= 1;
      // The tail: a triangle below the bubble's lower left.
      const tx = (px - (centre - radiusX * 0.45)) / radiusX;
      const ty = (py - (centre + radiusY * 0.6)) / radiusY;
      const inTail = ty >= 0 && ty <= 0.45 && tx >= 0 && tx <= 0.45 - ty;
      // Three dots inside the bubble.
      const dotRadius = radiusX * 0.1;
      const onDot = [-0.4, 0, 0.4].some((offset) => {
        const ddx = px - (centre + offset * radiusX);
        const ddy = py - (centre - radiusY * 0.12);
        return ddx * ddx + ddy * ddy <= dotRadius * dotRadius;
      });
      const colour = (inBubble || inTail) && !onDot ? WHITE : BRAND;
      const offset = 1 + x * 4;
      row[offset] = colour[0];
      row[offset + 1] = colour[1];
      row[offset + 2] = colour[2];
      row[offset + 3] = inside ? 0xff : 0;
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.writeUInt8(8, 8);
  header.writeUInt8(6, 9);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const out = new URL("../app/public/icons/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("icon-192.png", out), drawIcon(192, 0.62, true));
writeFileSync(new URL("icon-512.png", out), drawIcon(512, 0.62, true));
writeFileSync(new URL("maskable-512.png", out), drawIcon(512, 0.46, false));
writeFileSync(new URL("apple-touch-icon.png", out), drawIcon(180, 0.62, false));
console.log("Icons written to app/public/icons/");
