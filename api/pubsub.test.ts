import { describe, expect, it } from "vitest";
import { createAppPubSub, type TicketEventPayload } from "./pubsub.ts";

const event = (ticketId: string): TicketEventPayload => ({ kind: "MESSAGE_ADDED", ticketId, requesterId: "u1" });

describe("pub/sub subscriptions", () => {
  it("deliver a topic's events in order, to every subscriber, and only that topic's", async () => {
    const pubsub = createAppPubSub();
    const first = pubsub.subscribe("ticket", "t1");
    const second = pubsub.subscribe("ticket", "t1");
    const other = pubsub.subscribe("ticket", "t2");
    pubsub.publish("ticket", "t1", event("t1"));
    pubsub.publish("ticket", "t1", { ...event("t1"), kind: "STATUS_CHANGED" });
    for (const subscription of [first, second]) {
      expect((await subscription.next()).value?.kind).toBe("MESSAGE_ADDED");
      expect((await subscription.next()).value?.kind).toBe("STATUS_CHANGED");
    }
    // A waiting reader gets the next event as it is published.
    const waiting = other.next();
    pubsub.publish("ticket", "t2", event("t2"));
    expect((await waiting).value?.ticketId).toBe("t2");
  });

  it("stop listening when a subscriber returns, and end a waiting read", async () => {
    const pubsub = createAppPubSub();
    const subscription = pubsub.subscribe("ticketFeed");
    expect(pubsub.listenerCount("ticketFeed")).toBe(1);
    const waiting = subscription.next();
    await subscription.return?.();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(pubsub.listenerCount("ticketFeed")).toBe(0);
    pubsub.publish("ticketFeed", event("t1"));
    expect((await subscription.next()).done).toBe(true);
  });

  it("end a subscriber that stopped reading once 1,024 events wait, instead of growing without bound", async () => {
    const pubsub = createAppPubSub();
    const stalled = pubsub.subscribe("ticketFeed");
    for (let i = 0; i < 1_025; i++) pubsub.publish("ticketFeed", event(`t${i}`));
    expect(pubsub.listenerCount("ticketFeed")).toBe(0);
    expect((await stalled.next()).done).toBe(true);
  });
});
