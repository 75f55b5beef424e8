import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, currentRequestId, withRequestId } from "./logger.ts";

/** A logger writing into an array of parsed lines. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger("info", destination), lines };
}

describe("logger", () => {
  it("adds the request id to every line written for a request, across awaits and timers", async () => {
    const { logger, lines } = capturedLogger();
    await withRequestId("req-1", async () => {
      logger.error({ err: new Error("boom") }, "failed at once");
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.warn("later, after a timer");
      expect(currentRequestId()).toBe("req-1");
    });
    await Promise.all([
      withRequestId("req-2", async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        logger.error("second request");
      }),
      withRequestId("req-3", async () => logger.error("third request")),
    ]);
    logger.info("outside any request");
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
      ["failed at once", "req-1"],
      ["later, after a timer", "req-1"],
      ["third request", "req-3"],
      ["second request", "req-2"],
      ["outside any request", undefined],
    ]);
    expect(lines[0]).toMatchObject({ level: 50, service: "live-support", err: { message: "boom" } });
  });
});
