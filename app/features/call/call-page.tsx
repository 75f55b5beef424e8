import { useParams } from "@solidjs/router";

/** Call view route (`/call/:sessionId`): the calls work replaces this module with the call screen. */
export default function CallPage() {
  const params = useParams<{ sessionId: string }>();
  return (
    <section>
      <h1>Call</h1>
      <p class="muted" data-session={params.sessionId}>
        Connecting to the call.
      </p>
    </section>
  );
}
