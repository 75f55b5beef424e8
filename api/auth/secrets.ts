import { randomBytes } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.ts";

/**
 * A value generated once and shared by every instance through the database (first writer wins), unless
 * configuration supplies it.
 */
export async function sharedSecret(
  prisma: PrismaClient,
  key: string,
  generate = () => randomBytes(32).toString("base64url"),
) {
  await prisma.setting.createMany({ data: [{ key, value: generate() }], skipDuplicates: true });
  const setting = await prisma.setting.findUniqueOrThrow({ where: { key } });
  return setting.value;
}
