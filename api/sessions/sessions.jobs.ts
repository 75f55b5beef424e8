/** Jobs the sessions domain enqueues; the notifications domain delivers them. */
declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** Invitation (or updated invitation: the session's `sequence` tells which) to one invitee, with a calendar file. */
    "email.sessionInvitation": { sessionId: string; inviteId: string };
    /** The session was cancelled, or this invitee was taken off the list. */
    "email.sessionCancelled": { sessionId: string; inviteId: string };
    /** The host started the session: invitees may join now. */
    "email.sessionStarted": { sessionId: string };
    /** A one-time code for joining a session that requires email verification, sealed (never plain in the row). */
    "email.verificationCode": { verificationId: string; sealedCode: string };
    /** A reminder `offsetMinutes` before `startsAt`; dropped by the handler when the session moved since. */
    "session.reminder": { sessionId: string; offsetMinutes: number; startsAt: string };
  }
}

// Makes this file a module, so the block above augments jobs.service.ts instead of declaring an ambient module.
export {};
