import { builder } from "../builder.ts";
import type { IceServer } from "./ice.ts";

const IceServerRef = builder.objectRef<IceServer>("IceServer").implement({
  description: "One entry of RTCConfiguration.iceServers: STUN servers, or a TURN server with short-lived credentials.",
  fields: (t) => ({
    urls: t.exposeStringList("urls"),
    username: t.exposeString("username", { nullable: true, description: "TURN only: `<expiry unix>:<id>`." }),
    credential: t.exposeString("credential", {
      nullable: true,
      description: "TURN only: base64 HMAC-SHA1 of the username with the TURN secret (coturn use-auth-secret).",
    }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "TURN only: when the credential stops working; ask again before then.",
    }),
  }),
});

builder.queryField("iceServers", (t) =>
  t.field({
    type: [IceServerRef],
    description:
      "The ICE servers for a call: STUN from configuration and TURN with credentials valid for TURN_TTL. " +
      "Empty when nothing is configured (calls on a LAN or loopback need none). Signed-in users and participants " +
      "(participant token) may ask.",
    authScopes: { authenticated: true, participant: true },
    resolve: (_root, _args, context) =>
      context.services.ice.serversFor(context.viewer?.userId ?? `participant-${context.participant?.participantId}`),
  }),
);
