import { type Client, createSubscription } from "@urql/solid";
import { createMemo, createSignal } from "solid-js";
import type { CallReaction } from "../call/CallView.tsx";
import { SendReactionMutation, SessionGesturesSubscription, SetHandRaisedMutation } from "./call-gestures.documents.ts";

interface Person {
  id: string;
  status: string;
  peerId?: string | null;
  handRaisedAt?: unknown;
}

/** Reactions kept for CallView, which floats each new one for a moment. */
const KEPT_REACTIONS = 20;

/**
 * Hands and reactions in a call through the sessions API (the same for peer-to-peer and media-server calls): raised
 * hands are the participants' `handRaisedAt` in the normalized cache, which the gesture events keep current;
 * reactions and the host's microphone requests arrive as events. `onMute` runs when the host mutes this participant;
 * `unmuteAsked` is true after the host asks them to unmute, until `dismissUnmute`.
 */
export function createCallGestures(options: {
  client: Client;
  sessionId: string;
  participants: () => readonly Person[];
  /** This caller's participant id, once known. */
  selfId: () => string | undefined;
  onMute: () => void;
}) {
  const [reactions, setReactions] = createSignal<CallReaction[]>([]);
  const [unmuteAsked, setUnmuteAsked] = createSignal(false);
  let count = 0;

  const peerOf = (participantId: string) => options.participants().find((p) => p.id === participantId)?.peerId;
  createSubscription(
    { query: SessionGesturesSubscription, variables: { sessionId: options.sessionId } },
    (_previous, data) => {
      const event = data.sessionGestures;
      const mine = event.participantId === options.selfId();
      if (event.kind === "REACTION" && event.emoji) {
        const peerId = peerOf(event.participantId);
        const reaction = {
          id: `${event.participantId}:${event.at}:${count++}`,
          peerId: peerId ?? "",
          emoji: event.emoji,
        };
        if (peerId) setReactions((list) => [...list, reaction].slice(-KEPT_REACTIONS));
      } else if (event.kind === "MUTE_REQUESTED" && mine) options.onMute();
      else if (event.kind === "UNMUTE_REQUESTED" && mine) setUnmuteAsked(true);
      return data;
    },
  );

  /** Peer ids with a raised hand, in the order raised. */
  const hands = createMemo(() =>
    options
      .participants()
      .filter((p) => p.status === "ADMITTED" && p.peerId && p.handRaisedAt)
      .sort((a, b) => String(a.handRaisedAt).localeCompare(String(b.handRaisedAt)))
      .map((p) => p.peerId as string),
  );

  const send = (raised: boolean) =>
    void options.client.mutation(SetHandRaisedMutation, { sessionId: options.sessionId, raised }).toPromise();
  const react = (emoji: string) =>
    void options.client.mutation(SendReactionMutation, { sessionId: options.sessionId, emoji }).toPromise();

  return {
    hands,
    reactions,
    onRaiseHand: send,
    onReact: react,
    unmuteAsked,
    dismissUnmute: () => setUnmuteAsked(false),
  };
}
