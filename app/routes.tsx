import { Navigate, type RouteDefinition, useLocation } from "@solidjs/router";
import { type JSX, lazy, Show } from "solid-js";
import { currentUser, isStaff } from "./graphql/session.ts";

/** Every screen is its own chunk, so the first screen loads only what it needs. */
const SignInPage = lazy(() => import("./features/auth/sign-in-page.tsx"));
const SignUpPage = lazy(() => import("./features/auth/sign-up-page.tsx"));
const ProfilePage = lazy(() => import("./features/auth/profile-page.tsx"));
const ForgotPasswordPage = lazy(() => import("./features/auth/forgot-password-page.tsx"));
const ResetPasswordPage = lazy(() => import("./features/auth/reset-password-page.tsx"));
const ConfirmEmailPage = lazy(() => import("./features/auth/confirm-email-page.tsx"));
const MyTicketsPage = lazy(() => import("./features/tickets/my-tickets-page.tsx"));
const NewTicketPage = lazy(() => import("./features/tickets/new-ticket-page.tsx"));
const TicketPage = lazy(() => import("./features/tickets/ticket-page.tsx"));
const InboxPage = lazy(() => import("./features/tickets/inbox-page.tsx"));
const SettingsPage = lazy(() => import("./features/workspace/settings-page.tsx"));
const NotFoundPage = lazy(() => import("./components/not-found-page.tsx"));
const SessionsPage = lazy(() => import("./features/sessions/sessions-page.tsx"));
const JoinSessionPage = lazy(() => import("./features/sessions/join-session-page.tsx"));
const SessionFormPage = lazy(() => import("./features/sessions/session-form-page.tsx"));
const SessionDetailPage = lazy(() => import("./features/sessions/session-detail-page.tsx"));
const SessionAnalyticsPage = lazy(() => import("./features/sessions/session-analytics-page.tsx"));
const SessionSummaryPage = lazy(() => import("./features/sessions/session-summary-page.tsx"));
const TeamPage = lazy(() => import("./features/team/team-page.tsx"));
const TeamMemberPage = lazy(() => import("./features/team/member-page.tsx"));
const AcceptInvitePage = lazy(() => import("./features/team/accept-invite-page.tsx"));

function RequireUser(props: { staff?: boolean; children: JSX.Element }) {
  const location = useLocation();
  return (
    <Show
      when={currentUser()}
      fallback={<Navigate href={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} />}
    >
      {(user) => (
        <Show when={!props.staff || isStaff(user().role)} fallback={<Navigate href="/tickets" />}>
          {props.children}
        </Show>
      )}
    </Show>
  );
}

function Home() {
  const user = currentUser();
  if (!user) return <Navigate href="/signin" />;
  return <Navigate href={isStaff(user.role) ? "/inbox" : "/tickets"} />;
}

/** Admins' screens: everyone else is sent to their home. */
const adminOnly = (Page: () => JSX.Element) => () => (
  <RequireUser staff>
    <Show when={currentUser()?.role === "ADMIN"} fallback={<Navigate href="/inbox" />}>
      <Page />
    </Show>
  </RequireUser>
);

const signedIn =
  (Page: () => JSX.Element, staff = false) =>
  () => (
    <RequireUser staff={staff}>
      <Page />
    </RequireUser>
  );

export const routes: RouteDefinition[] = [
  { path: "/", component: Home },
  { path: "/signin", component: SignInPage },
  { path: "/signup", component: SignUpPage },
  { path: "/forgot-password", component: ForgotPasswordPage },
  { path: "/reset-password/:token", component: ResetPasswordPage },
  { path: "/confirm-email/:token", component: ConfirmEmailPage },
  { path: "/profile", component: signedIn(ProfilePage) },
  { path: "/tickets", component: signedIn(MyTicketsPage) },
  { path: "/tickets/new", component: signedIn(NewTicketPage) },
  { path: "/tickets/:id", component: signedIn(TicketPage) },
  { path: "/inbox", component: signedIn(InboxPage, true) },
  { path: "/sessions", component: signedIn(SessionsPage, true) },
  { path: "/sessions/new", component: signedIn(SessionFormPage, true) },
  { path: "/sessions/analytics", component: signedIn(SessionSummaryPage, true) },
  { path: "/sessions/:id", component: signedIn(SessionDetailPage, true) },
  { path: "/sessions/:id/edit", component: signedIn(SessionFormPage, true) },
  { path: "/sessions/:id/analytics", component: signedIn(SessionAnalyticsPage, true) },
  { path: "/session/join/:token", component: JoinSessionPage },
  { path: "/team", component: adminOnly(TeamPage) },
  { path: "/team/:id", component: adminOnly(TeamMemberPage) },
  { path: "/invite/:token", component: AcceptInvitePage },
  { path: "/settings", component: signedIn(SettingsPage, true) },
  { path: "*404", component: NotFoundPage },
];
