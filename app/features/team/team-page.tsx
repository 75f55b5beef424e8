import { A } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import { EmptyState, ErrorState, LoadingState } from "../../components/states.tsx";
import { queryLatest } from "../../graphql/client.ts";
import { label, timeAgo } from "../../lib/format.ts";
import { InviteSheet } from "./invite-sheet.tsx";
import { ResendInvitationMutation, type ResultOf, RevokeInvitationMutation, TeamQuery } from "./team.documents.ts";
import "./team.css";

type Member = ResultOf<typeof TeamQuery>["team"]["members"]["edges"][number]["node"];
type Invitation = NonNullable<ResultOf<typeof TeamQuery>["team"]["invitations"]>[number];
type Audience = "TEAM" | "CUSTOMERS";

const AUDIENCES: { value: Audience; label: string }[] = [
  { value: "TEAM", label: "Team" },
  { value: "CUSTOMERS", label: "Customers" },
];
const PAGE = 25;
/** Typing pauses this long before the list is searched, so each keystroke does not ask the server. */
const SEARCH_PAUSE_MS = 250;

/** `/team` (admins): the team and, apart, the customers; search, open invitations, invite. */
export default function TeamPage() {
  const [audience, setAudience] = createSignal<Audience>("TEAM");
  const [search, setSearch] = createSignal("");
  const [query, setQuery] = createSignal("");
  const [members, setMembers] = createSignal<Member[]>([]);
  const [invitations, setInvitations] = createSignal<Invitation[]>([]);
  const [total, setTotal] = createSignal(0);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [more, setMore] = createSignal(false);
  const [status, setStatus] = createSignal<"loading" | "ready" | "error">("loading");
  const [notice, setNotice] = createSignal("");
  const [inviting, setInviting] = createSignal(false);

  const load = async (append: boolean) => {
    setStatus("loading");
    const result = await queryLatest(TeamQuery, {
      audience: audience(),
      search: query() || null,
      first: PAGE,
      after: append ? cursor() : null,
      withInvitations: audience() === "TEAM" && !append,
    });
    const team = result.data?.team;
    if (!team) return setStatus("error");
    const nodes = team.members.edges.map((edge) => edge.node);
    setMembers((list) => (append ? [...list, ...nodes] : nodes));
    if (!append) setInvitations(team.invitations ?? []);
    setTotal(team.members.totalCount);
    setCursor(team.members.pageInfo.endCursor ?? null);
    setMore(team.members.pageInfo.hasNextPage);
    setStatus("ready");
  };
  createEffect(on([audience, query], () => void load(false)));

  let pause: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(pause));
  const typed = (value: string) => {
    setSearch(value);
    clearTimeout(pause);
    pause = setTimeout(() => setQuery(value.trim()), SEARCH_PAUSE_MS);
  };

  const select = (next: Audience) => {
    if (next === audience()) return;
    setMembers([]);
    setInvitations([]);
    setAudience(next);
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const next: Audience = audience() === "TEAM" ? "CUSTOMERS" : "TEAM";
    select(next);
    document.getElementById(`audience-${next}`)?.focus();
  };

  const empty = () =>
    status() === "ready" && members().length === 0 && (audience() === "CUSTOMERS" || invitations().length === 0);

  return (
    <section aria-labelledby="team-title" class="team">
      <div class="team-heading">
        <h1 id="team-title">People</h1>
        <button type="button" class="button primary" onClick={() => setInviting(true)}>
          Invite
        </button>
      </div>
      <Show when={notice()}>
        <p class="team-notice" role="status">
          {notice()}
        </p>
      </Show>
      <div class="field team-search">
        <label for="team-search">Search by name or email</label>
        <input
          id="team-search"
          type="search"
          autocomplete="off"
          value={search()}
          onInput={(event) => typed(event.currentTarget.value)}
        />
      </div>
      <div class="segmented" role="tablist" aria-label="Who to list" onKeyDown={onKey}>
        <For each={AUDIENCES}>
          {(item) => (
            <button
              type="button"
              role="tab"
              id={`audience-${item.value}`}
              aria-selected={audience() === item.value}
              aria-controls="team-panel"
              tabIndex={audience() === item.value ? 0 : -1}
              onClick={() => select(item.value)}
            >
              {item.label}
            </button>
          )}
        </For>
      </div>
      <div id="team-panel" role="tabpanel" aria-labelledby={`audience-${audience()}`}>
        <Show when={status() === "error"}>
          <ErrorState message="The list could not be loaded." onRetry={() => void load(false)} />
        </Show>
        <Show when={empty()}>
          <EmptyState
            title={query() ? `Nobody matches “${query()}”` : audience() === "TEAM" ? "No one yet" : "No customers yet"}
          >
            <p>
              {query()
                ? "Try part of a name or an email address."
                : audience() === "TEAM"
                  ? "Invite agents to answer tickets and host sessions with you."
                  : "Customers appear here once they sign up or open a ticket."}
            </p>
          </EmptyState>
        </Show>
        <Show when={invitations().length > 0}>
          <h2 class="team-section">Invited</h2>
          <ul class="people" aria-label="Open invitations">
            <For each={invitations()}>
              {(invitation) => (
                <InvitationRow
                  invitation={invitation}
                  onChanged={(message) => {
                    setNotice(message);
                    void load(false);
                  }}
                />
              )}
            </For>
          </ul>
        </Show>
        <Show when={members().length > 0}>
          <h2 class="team-section">
            {audience() === "TEAM" ? "With an account" : "Customers"}{" "}
            <span class="muted">
              ({members().length} of {total()})
            </span>
          </h2>
          <ul class="people" aria-label={audience() === "TEAM" ? "Team members" : "Customers"}>
            <For each={members()}>{(member) => <MemberRow member={member} />}</For>
          </ul>
        </Show>
        <Show when={status() === "loading"}>
          <LoadingState label="Loading people" />
        </Show>
        <Show when={status() === "ready" && more()}>
          <button type="button" class="button secondary block" onClick={() => void load(true)}>
            Show more
          </button>
        </Show>
      </div>
      <InviteSheet
        open={inviting()}
        onClose={() => setInviting(false)}
        onInvited={(email) => {
          setInviting(false);
          setNotice(`Invitation sent to ${email}.`);
          if (audience() === "TEAM") void load(false);
          else select("TEAM");
        }}
      />
    </section>
  );
}

function MemberRow(props: { member: Member }) {
  return (
    <li>
      <A class="person" href={`/team/${props.member.id}`}>
        <span class="person-name">{props.member.name}</span>
        <span class="person-badges">
          <span class="badge">{label(props.member.role)}</span>
          <Show when={props.member.status === "DEACTIVATED"}>
            <span class="badge badge-deactivated">Deactivated</span>
          </Show>
        </span>
        <span class="person-email wrap-anywhere">{props.member.email}</span>
        <span class="person-meta">
          {props.member.lastActiveAt ? `Active ${timeAgo(props.member.lastActiveAt)}` : "Never signed in"}
        </span>
      </A>
    </li>
  );
}

function InvitationRow(props: { invitation: Invitation; onChanged: (message: string) => void }) {
  const [resendState, resend] = createMutation(ResendInvitationMutation);
  const [revokeState, revoke] = createMutation(RevokeInvitationMutation);
  const [failure, setFailure] = createSignal("");
  const busy = () => resendState.fetching || revokeState.fetching;
  const act = async (run: () => Promise<{ __typename: string } | undefined>, done: string) => {
    setFailure("");
    const outcome = await run();
    if (outcome?.__typename === "NotFoundError") props.onChanged("That invitation was already accepted or revoked.");
    else if (outcome) props.onChanged(done);
    else setFailure("Could not reach the server. Try again.");
  };
  return (
    <li class="person invitation">
      <span class="person-name">{props.invitation.name}</span>
      <span class="person-badges">
        <span class="badge">{label(props.invitation.role)}</span>
        <span class="badge" classList={{ "badge-deactivated": props.invitation.expired }}>
          {props.invitation.expired ? "Link expired" : "Invited"}
        </span>
      </span>
      <span class="person-email wrap-anywhere">{props.invitation.email}</span>
      <span class="person-meta">
        Sent {timeAgo(props.invitation.sentAt)} by {props.invitation.invitedBy.name}
      </span>
      <span class="invitation-actions">
        <button
          type="button"
          class="button secondary"
          disabled={busy()}
          aria-label={`Resend the invitation to ${props.invitation.email}`}
          onClick={() =>
            void act(
              async () => (await resend({ id: props.invitation.id })).data?.resendInvitation,
              `A new link was sent to ${props.invitation.email}; the old one no longer works.`,
            )
          }
        >
          Resend
        </button>
        <button
          type="button"
          class="button secondary"
          disabled={busy()}
          aria-label={`Revoke the invitation to ${props.invitation.email}`}
          onClick={() =>
            void act(
              async () => (await revoke({ id: props.invitation.id })).data?.revokeInvitation,
              `The invitation to ${props.invitation.email} was revoked.`,
            )
          }
        >
          Revoke
        </button>
      </span>
      <Show when={failure()}>
        <p class="form-error" role="alert">
          {failure()}
        </p>
      </Show>
    </li>
  );
}
