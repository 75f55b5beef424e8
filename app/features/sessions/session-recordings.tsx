import { createQuery } from "@urql/solid";
import { createEffect, For, Match, on, onCleanup, Show, Switch } from "solid-js";
import { ErrorState } from "../../components/states.tsx";
import { graphql } from "../../graphql/tada.ts";
import { dateTime, fileSize } from "../../lib/format.ts";

const SessionRecordingsQuery = graphql(`
  query SessionRecordings($id: ID!) {
    liveSession(id: $id) {
      id
      recordings {
        id
        status
        source
        startedAt
        durationMs
        size
        url
        failureReason
      }
    }
  }
`);

function duration(ms: number | null): string {
  if (ms === null) return "";
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/**
 * The session's recordings for its host: the media server's (SFU sessions) show "Processing…" while they are
 * converted, then their download link; read again every few seconds while one is on its way.
 */
export function SessionRecordings(props: { sessionId: string; recording: boolean }) {
  const [result, refetch] = createQuery({ query: SessionRecordingsQuery, variables: { id: props.sessionId } });
  const recordings = () => result.data?.liveSession?.recordings ?? [];
  const pending = () => recordings().some((r) => r.status === "PROCESSING" || r.status === "RECORDING");
  // Recording switched on or off: a recording opened or began processing.
  createEffect(
    on(
      () => props.recording,
      () => refetch({ requestPolicy: "network-only" }),
      { defer: true },
    ),
  );
  createEffect(() => {
    if (!pending()) return;
    const timer = setInterval(() => refetch({ requestPolicy: "network-only" }), 3000);
    onCleanup(() => clearInterval(timer));
  });

  return (
    <section class="session-panel" aria-labelledby="recordings-title">
      <h2 id="recordings-title">Recordings</h2>
      <Switch>
        <Match when={result.error && !result.data}>
          <ErrorState
            message="The recordings could not be loaded."
            onRetry={() => refetch({ requestPolicy: "network-only" })}
          />
        </Match>
        <Match when={result.data && recordings().length === 0}>
          <p class="session-meta">No recordings yet. Start recording during the live session.</p>
        </Match>
        <Match when={recordings().length > 0}>
          <ul class="recording-list" aria-live="polite">
            <For each={recordings()}>
              {(recording) => (
                <li data-testid="recording">
                  <span>{dateTime(recording.startedAt)}</span>{" "}
                  <Switch>
                    <Match when={recording.status === "RECORDING"}>
                      <span role="status">Recording…</span>
                    </Match>
                    <Match when={recording.status === "PROCESSING"}>
                      <span role="status">Processing…</span>
                    </Match>
                    <Match when={recording.status === "FAILED"}>
                      <span>Failed: {recording.failureReason ?? "unknown reason"}</span>
                    </Match>
                    <Match when={recording.url}>
                      {(url) => (
                        <a href={url()} download="">
                          Download ({duration(recording.durationMs)}, {fileSize(recording.size)})
                        </a>
                      )}
                    </Match>
                  </Switch>
                </li>
              )}
            </For>
          </ul>
        </Match>
      </Switch>
      <Show when={result.fetching && !result.data}>
        <p class="session-meta">Loading recordings…</p>
      </Show>
    </section>
  );
}
