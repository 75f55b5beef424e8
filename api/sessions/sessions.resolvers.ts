import type { Context } from "../context.ts";
import type { LiveSession, SessionChatMessage, SessionParticipant } from "../generated/prisma/client.ts";

/** The rows a sessions mutation returns, by their Prisma delegate. */
interface ChangedRows {
  liveSession: LiveSession;
  sessionParticipant: SessionParticipant;
  sessionChatMessage: SessionChatMessage;
}

/**
 * The resolver of a mutation that returns one row: `change` calls the service, then the row it changed is loaded
 * again with the relations the GraphQL query selects. `context` is the field's, narrowed by its `t.withAuth` scopes.
 */
export function changedRow<Model extends keyof ChangedRows, Args, FieldContext extends Context = Context>(
  model: Model,
  change: (args: Args, context: FieldContext) => Promise<{ id: string }>,
) {
  return async (query: object, _root: unknown, args: Args, context: FieldContext): Promise<ChangedRows[Model]> => {
    const { id } = await change(args, context);
    // One delegate per model, chosen by name: TypeScript cannot call a union of them.
    const rows = context.prisma[model] as unknown as {
      findUniqueOrThrow(args: object): Promise<ChangedRows[Model]>;
    };
    return rows.findUniqueOrThrow({ ...query, where: { id } });
  };
}
