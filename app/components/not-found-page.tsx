import { A } from "@solidjs/router";

export default function NotFoundPage() {
  return (
    <section class="narrow">
      <h1>Page not found</h1>
      <p>
        The link may be old. <A href="/">Go to the start page</A>.
      </p>
    </section>
  );
}
