import { useParams } from "@solidjs/router";

/** Join page route (`/session/join/:token`): the sessions work replaces this module with the join flow. */
export default function JoinSessionPage() {
  const params = useParams<{ token: string }>();
  return (
    <section class="narrow">
      <h1>Join a live session</h1>
      <p class="muted" data-token={params.token}>
        You were invited to a live session.
      </p>
    </section>
  );
}
