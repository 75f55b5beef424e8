import { DomainError } from "../errors.ts";

/** Expected failures of the media (SFU) API; members of the media mutations' result unions. */

export class MediaServerUnavailableError extends DomainError {
  override readonly code = "MEDIA_SERVER_UNAVAILABLE";
  constructor() {
    super("The media server is not available right now; the call continues peer-to-peer or retries shortly");
  }
}

export class MediaPublishNotAllowedError extends DomainError {
  override readonly code = "MEDIA_PUBLISH_NOT_ALLOWED";
  constructor() {
    super("Only the host and presenters send audio and video in a webinar; ask the host to make you a presenter");
  }
}

export class MediaAlreadyPublishingError extends DomainError {
  override readonly code = "MEDIA_ALREADY_PUBLISHING";
  constructor() {
    super("You already send media in this session; leave (mediaLeave) before publishing again");
  }
}

export class MediaFeedNotFoundError extends DomainError {
  override readonly code = "MEDIA_FEED_NOT_FOUND";
  constructor(readonly participantId: string) {
    super("This participant sends no media in this session (they left or never published)");
  }
}

export class MediaNotNegotiatingError extends DomainError {
  override readonly code = "MEDIA_NOT_NEGOTIATING";
  constructor(what: "subscription" | "publication") {
    super(
      what === "subscription"
        ? "There is no subscription to answer or configure: call mediaSubscribe first"
        : "You do not publish media in this session: call mediaPublish first",
    );
  }
}

/** Janus refused the request (e.g. an SDP it cannot use); the reason is Janus's own. */
export class MediaRefusedError extends DomainError {
  override readonly code = "MEDIA_REFUSED";
  constructor(readonly reason: string) {
    super(`The media server refused: ${reason}`);
  }
}
