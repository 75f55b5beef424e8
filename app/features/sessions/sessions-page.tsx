/** Host dashboard route (`/sessions`): the sessions work replaces this module with the real dashboard. */
export default function SessionsPage() {
  return (
    <section>
      <h1>Live sessions</h1>
      <p class="muted">Upcoming, live and past sessions you host.</p>
    </section>
  );
}
