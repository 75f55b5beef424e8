import { A, useParams } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { queryLatest } from "../../graphql/client.ts";
import { currentUser } from "../../graphql/session.ts";
import { dateTime, label, timeAgo } from "../../lib/format.ts";
import {
  DeactivateUserMutation,
  ReactivateUserMutation,
  type ResultOf,
  SetUserRoleMutation,
  TeamMemberQuery,
} from "./team.documents.ts";
import "./team.css";

type Member = NonNullable<ResultOf<typeof TeamMemberQuery>["team"]["member"]>;
type Agent = ResultOf<typeof TeamMemberQuery>["agents"][number];
type Role = Member["role"];

const ROLES: Role[] = ["AGENT", "ADMIN", "CUSTOMER"];

/** `/team/:id` (admins): one person's role, and deactivation (with who takes their tickets) or reactivation. */
export default function MemberPage() {
  const params = useParams<{ id: string }>();
  const [member, setMember] = createSignal<Member | null>(null);
  const [agents, setAgents] = createSignal<Agent[]>([]);
  const [status, setStatus] = createSignal<"loading" | "ready" | "missing" | "error">("loading");

  const load = async () => {
    setStatus("loading");
    const result = await queryLatest(TeamMemberQuery, { id: params.id });
    if (!result.data) return setStatus("error");
    setAgents(result.data.agents);
    setMember(result.data.team.member ?? null);
    setStatus(result.data.team.member ? "ready" : "missing");
  };
  createEffect(
    on(
      () => params.id,
      () => void load(),
    ),
  );

  return (
    <section class="team narrow" aria-labelledby="member-title">
      <A href="/team" class="back-link">
        ← People
      </A>
      <Show when={status() === "loading" && !member()}>
        <h1 id="member-title" class="visually-hidden">
          Person
        </h1>
        <LoadingState label="Loading this person" rows={4} />
      </Show>
      <Show when={status() === "error"}>
        <h1 id="member-title">Person</h1>
        <ErrorState message="This person could not be loaded." onRetry={() => void load()} />
      </Show>
      <Show when={status() === "missing"}>
        <h1 id="member-title">Nobody here</h1>
        <p>There is no account with this link. It may have been mistyped.</p>
      </Show>
      <Show when={member()}>
        {(person) => (
          <MemberDetail
            member={person()}
            agents={agents().filter((agent) => agent.id !== person().id)}
            onChanged={(next) => setMember({ ...person(), ...next })}
            reload={() => void load()}
          />
        )}
      </Show>
    </section>
  );
}

function MemberDetail(props: {
  member: Member;
  agents: Agent[];
  onChanged: (next: Partial<Member>) => void;
  reload: () => void;
}) {
  const isSelf = () => currentUser()?.id === props.member.id;
  const deactivated = () => props.member.status === "DEACTIVATED";
  return (
    <>
      <h1 id="member-title">{props.member.name}</h1>
      <p class="person-badges member-badges">
        <span class="badge">{label(props.member.role)}</span>
        <span class="badge" classList={{ "badge-deactivated": deactivated() }}>
          {deactivated() ? "Deactivated" : "Active"}
        </span>
      </p>
      <dl class="details">
        <dt>Email</dt>
        <dd class="wrap-anywhere">{props.member.email}</dd>
        <dt>Last active</dt>
        <dd>{props.member.lastActiveAt ? timeAgo(props.member.lastActiveAt) : "Never signed in"}</dd>
        <dt>Joined</dt>
        <dd>{dateTime(props.member.createdAt)}</dd>
        <Show when={props.member.deactivatedAt}>
          {(when) => (
            <>
              <dt>Deactivated</dt>
              <dd>{dateTime(when())}</dd>
            </>
          )}
        </Show>
      </dl>
      <RoleSection member={props.member} isSelf={isSelf()} onChanged={props.onChanged} />
      <Show
        when={deactivated()}
        fallback={
          <Show when={!isSelf()}>
            <DeactivateSection member={props.member} agents={props.agents} onDone={props.reload} />
          </Show>
        }
      >
        <ReactivateSection member={props.member} onChanged={props.onChanged} />
      </Show>
    </>
  );
}

function RoleSection(props: { member: Member; isSelf: boolean; onChanged: (next: Partial<Member>) => void }) {
  const [state, setRole] = createMutation(SetUserRoleMutation);
  const [role, setChosen] = createSignal<Role>(props.member.role);
  const [message, setMessage] = createSignal<{ text: string; error: boolean } | null>(null);
  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    setMessage(null);
    const result = await setRole({ id: props.member.id, role: role() });
    const outcome = result.data?.setUserRole;
    if (outcome?.__typename === "User") {
      props.onChanged({ role: outcome.role });
      setMessage({ text: `${props.member.name} is now ${article(outcome.role)}.`, error: false });
    } else
      setMessage({
        text: outcome && "message" in outcome ? outcome.message : "Could not reach the server. Try again.",
        error: true,
      });
  };
  return (
    <form class="team-card" onSubmit={save} aria-labelledby="role-title">
      <h2 id="role-title">Role</h2>
      <div class="field">
        <label for="member-role">Role</label>
        <select id="member-role" value={role()} onChange={(event) => setChosen(event.currentTarget.value as Role)}>
          <For each={ROLES}>{(value) => <option value={value}>{label(value)}</option>}</For>
        </select>
      </div>
      <Show when={props.isSelf}>
        <p class="hint">Stepping down from admin takes the Team screen away from you at once.</p>
      </Show>
      <Show when={message()}>
        {(shown) => (
          <p class={shown().error ? "form-error" : "team-notice"} role={shown().error ? "alert" : "status"}>
            {shown().text}
          </p>
        )}
      </Show>
      <button type="submit" class="button secondary" disabled={state.fetching || role() === props.member.role}>
        {state.fetching ? "Saving…" : "Change role"}
      </button>
    </form>
  );
}

function DeactivateSection(props: { member: Member; agents: Agent[]; onDone: () => void }) {
  const [state, deactivate] = createMutation(DeactivateUserMutation);
  const [handOff, setHandOff] = createSignal<"unassign" | "reassign">("unassign");
  const [taker, setTaker] = createSignal("");
  const [failure, setFailure] = createSignal("");
  const [done, setDone] = createSignal("");
  const open = () => props.member.openAssignedTickets;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setFailure("");
    if (open() > 0 && handOff() === "reassign" && !taker()) {
      setFailure("Choose who takes their tickets, or unassign them.");
      return;
    }
    const reassignToId = open() > 0 && handOff() === "reassign" ? taker() : null;
    const result = await deactivate({ input: { userId: props.member.id, reassignToId } });
    const outcome = result.data?.deactivateUser;
    if (outcome?.__typename === "DeactivateUserResult") {
      setDone(
        `${props.member.name} was signed out everywhere and can no longer sign in.` +
          (outcome.movedTickets > 0 ? ` ${ticketCount(outcome.movedTickets)} handed on.` : ""),
      );
      props.onDone();
    } else if (outcome?.__typename === "ValidationError")
      setFailure(outcome.fieldErrors[0]?.message ?? outcome.message);
    else setFailure(outcome && "message" in outcome ? outcome.message : "Could not reach the server. Try again.");
  };

  return (
    <form class="team-card" onSubmit={submit} aria-labelledby="deactivate-title">
      <h2 id="deactivate-title">Deactivate</h2>
      <p>
        Signs {props.member.name} out on every device at once and stops them signing in. Their tickets, messages and
        history stay.
      </p>
      <Show when={open() > 0} fallback={<p class="hint">No open tickets are assigned to them.</p>}>
        <fieldset class="role-choice">
          <legend>Their {ticketCount(open()).toLowerCase()} assigned</legend>
          <label class="choice">
            <input
              type="radio"
              name="hand-off"
              checked={handOff() === "unassign"}
              onChange={() => setHandOff("unassign")}
            />
            <span>Unassign them (they go back to the unassigned queue)</span>
          </label>
          <label class="choice">
            <input
              type="radio"
              name="hand-off"
              checked={handOff() === "reassign"}
              onChange={() => setHandOff("reassign")}
            />
            <span>Hand them all to someone</span>
          </label>
        </fieldset>
        <Show when={handOff() === "reassign"}>
          <div class="field">
            <label for="taker">Who takes them</label>
            <select id="taker" value={taker()} onChange={(event) => setTaker(event.currentTarget.value)}>
              <option value="">Choose an agent…</option>
              <For each={props.agents}>{(agent) => <option value={agent.id}>{agent.name}</option>}</For>
            </select>
          </div>
        </Show>
      </Show>
      <Show when={failure()}>
        <p class="form-error" role="alert">
          {failure()}
        </p>
      </Show>
      <Show when={done()}>
        <p class="team-notice" role="status">
          {done()}
        </p>
      </Show>
      <button type="submit" class="button danger block" disabled={state.fetching}>
        {state.fetching ? "Deactivating…" : `Deactivate ${props.member.name}`}
      </button>
    </form>
  );
}

function ReactivateSection(props: { member: Member; onChanged: (next: Partial<Member>) => void }) {
  const [state, reactivate] = createMutation(ReactivateUserMutation);
  const [failure, setFailure] = createSignal("");
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setFailure("");
    const outcome = (await reactivate({ id: props.member.id })).data?.reactivateUser;
    if (outcome?.__typename === "User") props.onChanged({ status: outcome.status, deactivatedAt: null });
    else setFailure(outcome && "message" in outcome ? outcome.message : "Could not reach the server. Try again.");
  };
  return (
    <form class="team-card" onSubmit={submit} aria-labelledby="reactivate-title">
      <h2 id="reactivate-title">Reactivate</h2>
      <p>
        {props.member.name} can sign in again with their password (or reset it), as {article(props.member.role)}.
        Tickets handed on stay where they are.
      </p>
      <Show when={failure()}>
        <p class="form-error" role="alert">
          {failure()}
        </p>
      </Show>
      <button type="submit" class="button primary block" disabled={state.fetching}>
        {state.fetching ? "Reactivating…" : `Reactivate ${props.member.name}`}
      </button>
    </form>
  );
}

function article(role: Role): string {
  return role === "ADMIN" || role === "AGENT" ? `an ${label(role).toLowerCase()}` : "a customer";
}

function ticketCount(count: number): string {
  return `${count} open ticket${count === 1 ? "" : "s"}`;
}
