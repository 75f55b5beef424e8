import { A, useParams } from "@solidjs/router";
import { createQuery } from "@urql/solid";
import { createMemo, createSignal, For, Match, Show, Switch } from "solid-js";
import { EmptyState, ErrorState, LoadingState } from "../../components/states.tsx";
import { dateTime } from "../../lib/format.ts";
import { concurrency, duration } from "./analytics.ts";
import { AnalyticsSummaryQuery, SessionAnalyticsQuery } from "./session-analytics.documents.ts";
import "./sessions.css";

/** Participants over time as an inline SVG step chart, with a text alternative and a data table. */
function Chart(props: { points: { t: number; count: number }[]; peak: number }) {
  const W = 320;
  const H = 140;
  const path = createMemo(() => {
    const points = props.points;
    if (points.length < 2) return "";
    const t0 = points[0]?.t ?? 0;
    const span = Math.max(1, (points.at(-1)?.t ?? t0) - t0);
    const max = Math.max(1, props.peak);
    const x = (t: number) => ((t - t0) / span) * (W - 20) + 10;
    const y = (c: number) => H - 10 - (c / max) * (H - 30);
    let d = `M ${x(t0)} ${y(0)}`;
    let previous = 0;
    for (const point of points) {
      d += ` L ${x(point.t)} ${y(previous)} L ${x(point.t)} ${y(point.count)}`;
      previous = point.count;
    }
    return d;
  });
  return (
    <figure>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc">
        <title id="chart-title">Participants over time</title>
        <desc id="chart-desc">
          {`Peak of ${props.peak} participants at once. ${props.points.length} changes in attendance.`}
        </desc>
        <line x1="10" y1={H - 10} x2={W - 10} y2={H - 10} stroke="#475569" />
        <path d={path()} fill="none" stroke="#1d4ed8" stroke-width="2" />
        <text x="10" y="14" font-size="12" fill="#334155">
          {`peak ${props.peak}`}
        </text>
      </svg>
      <figcaption class="session-meta">Participants present over the session (host excluded).</figcaption>
    </figure>
  );
}

/** Analytics of one session (`/sessions/:id/analytics`). */
export default function SessionAnalyticsPage() {
  const params = useParams<{ id: string }>();
  const [result, refetch] = createQuery({
    query: SessionAnalyticsQuery,
    variables: () => ({ sessionId: params.id }),
    requestPolicy: "network-only",
  });
  const analytics = () => result.data?.sessionAnalytics;
  const points = createMemo(() =>
    concurrency((analytics()?.participants ?? []).filter((p) => p.role !== "HOST").flatMap((p) => p.visits)),
  );
  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Session analytics</h1>
      <p>
        <A href={`/sessions/${params.id}`}>Back to the session</A>
      </p>
      <Switch>
        <Match when={result.fetching && !result.data}>
          <LoadingState label="Loading analytics" rows={4} />
        </Match>
        <Match when={result.error && !result.data}>
          <ErrorState message="Analytics could not be loaded." onRetry={() => refetch()} />
        </Match>
        <Match when={!analytics()}>
          <EmptyState title="No analytics for this session" />
        </Match>
        <Match when={analytics()}>
          {(a) => (
            <>
              <dl class="stat-grid">
                <div>
                  <dt>Peak at once</dt>
                  <dd>{a().peakConcurrent}</dd>
                </div>
                <div>
                  <dt>Participants</dt>
                  <dd>{a().totalParticipants}</dd>
                </div>
                <div>
                  <dt>Duration</dt>
                  <dd>{duration(a().durationSeconds)}</dd>
                </div>
                <div>
                  <dt>Chat messages</dt>
                  <dd>{a().chatMessageCount}</dd>
                </div>
                <div>
                  <dt>Hands raised · reactions</dt>
                  <dd>
                    {a().handsRaised} · {a().reactions}
                  </dd>
                </div>
                <div>
                  <dt>Invitees attended</dt>
                  <dd>
                    {a().attendedInviteCount}/{a().invitedCount}
                  </dd>
                </div>
              </dl>
              <Show when={points().length > 1} fallback={<p>Nobody attended yet.</p>}>
                <Chart points={points()} peak={a().peakConcurrent} />
              </Show>
              <h2>Time in the session</h2>
              <div class="scroll-x">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Time</th>
                      <th scope="col">First joined</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={a().participants.filter((p) => p.role !== "HOST")}>
                      {(p) => (
                        <tr>
                          <td>{p.name}</td>
                          <td>{duration(p.totalSeconds)}</td>
                          <td>{p.firstJoinedAt ? dateTime(p.firstJoinedAt) : "—"}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}

/** Totals over a period (`/sessions/analytics`). */
export function AnalyticsSummaryPage() {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86_400_000);
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const [from, setFrom] = createSignal(day(monthAgo));
  const [to, setTo] = createSignal(day(today));
  const range = () => {
    const start = new Date(`${from()}T00:00:00`);
    const end = new Date(`${to()}T23:59:59`);
    return Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start
      ? null
      : { from: start.toISOString(), to: end.toISOString() };
  };
  const [result, refetch] = createQuery({
    query: AnalyticsSummaryQuery,
    variables: () => range() ?? { from: new Date(0).toISOString(), to: new Date(0).toISOString() },
    pause: () => range() === null,
    requestPolicy: "network-only",
  });
  const summary = () => result.data?.sessionAnalyticsSummary;
  return (
    <section aria-labelledby="summary-title">
      <h1 id="summary-title">Sessions summary</h1>
      <p>
        <A href="/sessions">Back to sessions</A>
      </p>
      <div class="field">
        <label for="summary-from">From</label>
        <input id="summary-from" type="date" value={from()} onInput={(e) => setFrom(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="summary-to">To</label>
        <input
          id="summary-to"
          type="date"
          value={to()}
          aria-invalid={range() ? undefined : "true"}
          aria-describedby="summary-error"
          onInput={(e) => setTo(e.currentTarget.value)}
        />
        <p class="error" id="summary-error" aria-live="polite">
          {range() ? "" : "The end must be on or after the start"}
        </p>
      </div>
      <Switch>
        <Match when={result.fetching && !result.data}>
          <LoadingState label="Loading the summary" rows={2} />
        </Match>
        <Match when={result.error && !result.data}>
          <ErrorState message="The summary could not be loaded." onRetry={() => refetch()} />
        </Match>
        <Match when={summary()?.sessionsHeld === 0}>
          <EmptyState title="No sessions held in this period" />
        </Match>
        <Match when={summary()}>
          {(s) => (
            <dl class="stat-grid">
              <div>
                <dt>Sessions held</dt>
                <dd>{s().sessionsHeld}</dd>
              </div>
              <div>
                <dt>Participants</dt>
                <dd>{s().totalParticipants}</dd>
              </div>
              <div>
                <dt>Average duration</dt>
                <dd>{duration(s().averageDurationSeconds)}</dd>
              </div>
              <div>
                <dt>Attendance</dt>
                <dd>{s().attendanceRate === null ? "—" : `${Math.round((s().attendanceRate ?? 0) * 100)} %`}</dd>
              </div>
            </dl>
          )}
        </Match>
      </Switch>
    </section>
  );
}
