import { graphql } from "../../graphql/tada.ts";

/* Analytics of one session and of a period (session-analytics-page.tsx). */

export const SessionAnalyticsQuery = graphql(`
  query SessionAnalytics($sessionId: ID!) {
    sessionAnalytics(sessionId: $sessionId) {
      sessionId
      actualStartAt
      actualEndAt
      durationSeconds
      totalParticipants
      peakConcurrent
      chatMessageCount
      handsRaised
      reactions
      invitedCount
      attendedInviteCount
      recording
      participants {
        participantId
        name
        email
        role
        status
        totalSeconds
        firstJoinedAt
        visits {
          joinedAt
          leftAt
        }
      }
    }
  }
`);

export const AnalyticsSummaryQuery = graphql(`
  query SessionAnalyticsSummary($from: DateTime!, $to: DateTime!) {
    sessionAnalyticsSummary(from: $from, to: $to) {
      from
      to
      sessionsHeld
      totalParticipants
      averageDurationSeconds
      invitedCount
      attendedInviteCount
      attendanceRate
    }
  }
`);
