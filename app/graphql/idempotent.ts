import {
  type AnyVariables,
  type Client,
  createRequest,
  makeOperation,
  mapExchange,
  type OperationContext,
  type OperationResult,
  type TypedDocumentNode,
} from "@urql/core";

/** A new idempotency key for one user action (see docs/idempotency.md). */
export function newActionKey(): string {
  return crypto.randomUUID();
}

/** Sends a create mutation with `extensions.idempotencyKey`: a resend with the same key never creates it twice. */
export function mutateOnce<Data, Variables extends AnyVariables>(
  client: Client,
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  idempotencyKey: string,
  context?: Partial<OperationContext>,
): Promise<OperationResult<Data, Variables>> {
  return client
    .executeMutation(createRequest(document, variables, { idempotencyKey }), { ...context, idempotencyKey })
    .toPromise();
}

/**
 * graphcache forwards mutations rebuilt without their `extensions`; placed after it, this exchange puts the key
 * back from the operation's context.
 */
export const idempotencyExchange = mapExchange({
  onOperation(operation) {
    const idempotencyKey = operation.context.idempotencyKey as string | undefined;
    if (!idempotencyKey || operation.extensions?.idempotencyKey === idempotencyKey) return operation;
    return makeOperation(
      operation.kind,
      { ...operation, extensions: { ...operation.extensions, idempotencyKey } },
      operation.context,
    );
  },
});

/**
 * One key per user action: sending the same variables again after a try that got no answer (a network error)
 * reuses its key, so the server answers the first result if that try did arrive; anything else is a new action.
 */
export function createActionKeys() {
  let unanswered: { variables: string; key: string } | undefined;
  return {
    keyFor(variables: unknown): string {
      const text = JSON.stringify(variables);
      if (unanswered?.variables !== text) unanswered = { variables: text, key: newActionKey() };
      return unanswered.key;
    },
    /** Tells how the try ended: only one without an answer keeps its key for a resend. */
    settle(answered: boolean): void {
      if (answered) unanswered = undefined;
    },
  };
}
