import { DomainError } from "../errors.ts";

/** The change would leave the workspace without an active admin, so nobody could run the team any more. */
export class LastAdminError extends DomainError {
  override readonly code = "LAST_ADMIN";
  constructor(readonly userId: string) {
    super("This is the last active admin: make someone else an admin first");
  }
}
