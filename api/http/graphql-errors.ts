import { GraphQLError } from "graphql";
import { BAD_USER_INPUT, DomainError, ValidationError } from "../errors.ts";

/**
 * Duck-typed: graphql ships CommonJS and ESM builds, and libraries may load the other one, so `instanceof`
 * would miss errors created there.
 */
function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof Error && value.name === "GraphQLError";
}

/**
 * Pothos's refusal of bad pagination arguments (`first: -1`, a malformed cursor): the client's mistake. Duck-typed for
 * the same reason.
 */
function isPothosValidationError(value: unknown): boolean {
  return value instanceof Error && value.name === "PothosValidationError";
}

/**
 * Expected failures keep their message and `extensions.code` (domain errors, auth errors, GraphQL validation);
 * anything else becomes "Unexpected error." so internals never reach clients.
 */
export function maskUnexpectedErrors(error: unknown, message: string): Error {
  const located = isGraphQLError(error) ? error : null;
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof DomainError) {
      const extensions: Record<string, unknown> = { code: current.code };
      if (current instanceof ValidationError) extensions.fieldErrors = current.fieldErrors;
      return new GraphQLError(current.message, { nodes: located?.nodes, path: located?.path, extensions });
    }
    if (isPothosValidationError(current)) {
      return new GraphQLError(current.message, {
        nodes: located?.nodes,
        path: located?.path,
        extensions: { code: BAD_USER_INPUT },
      });
    }
    if (!isGraphQLError(current)) break;
    if (current.extensions?.code) {
      // The outermost message: a bad variable value's names the variable ("Variable "$from" got invalid value …").
      return new GraphQLError(located?.message ?? current.message, {
        nodes: located?.nodes,
        path: located?.path,
        extensions: current.extensions,
      });
    }
    // The outermost error keeps the context (e.g. which variable held a bad enum value); the message is the same.
    if (!current.originalError) return located ?? current;
    current = current.originalError;
  }
  return new GraphQLError(message, {
    nodes: located?.nodes,
    path: located?.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  });
}

/**
 * The code of an error the client caused (a refusal, bad input, a domain error), worth an info line without a stack;
 * null for an internal error, which is logged at error level with its stack.
 */
export function clientErrorCode(error: unknown): string | null {
  const masked = maskUnexpectedErrors(error, "");
  const code = isGraphQLError(masked) ? masked.extensions?.code : undefined;
  if (code === "INTERNAL_SERVER_ERROR") return null;
  return typeof code === "string" ? code : "GRAPHQL_ERROR";
}
