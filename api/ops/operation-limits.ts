import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLArmorRejectCallback } from "@escape.tech/graphql-armor-types";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { GraphQLError, ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Env } from "../env.ts";

/** Limits every operation must pass before it runs, on HTTP, SSE and graphql-ws alike (one envelop pipeline). */
export interface OperationLimits {
  /** Lexical tokens in the document: checked while parsing, so a huge document costs no more than its text. */
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  /** graphql-armor's estimate: 2 per object, 1 per scalar, ×1.5 per level of nesting. */
  maxCost: number;
  introspection: boolean;
}

/** The code a client sees when an operation is refused; `extensions.limit` names which limit. */
export const OPERATION_LIMIT_CODE = "OPERATION_LIMIT_EXCEEDED";

type LimitName = "tokens" | "depth" | "aliases" | "cost";

/**
 * graphql-armor decides; we answer. Its own errors carry no code and, for tokens, read as a syntax error, so each
 * rejection is reported as one typed error and the library's own is not propagated.
 */
function refuse(
  limit: LimitName,
  max: number,
): { onReject: GraphQLArmorRejectCallback[]; propagateOnRejection: false } {
  return {
    propagateOnRejection: false,
    onReject: [
      (context, armorError) => {
        // Built with graphql-armor's own GraphQLError class: graphql-ws accepts only errors of the graphql module
        // it loaded itself, which is the one armor loaded (CommonJS), whatever module this file was given.
        const GraphQLErrorClass = armorError.constructor as typeof GraphQLError;
        const refusal = new GraphQLErrorClass(`This operation is too large: at most ${max} ${limit} allowed.`, {
          extensions: { code: OPERATION_LIMIT_CODE, limit, max, http: { status: 400 } },
        });
        // The token limit runs in the parser, which has no validation context: throwing ends the parse.
        if (!context) throw refusal;
        context.reportError(refusal);
      },
    ],
  };
}

/** The limits as configured (api/env.ts). */
export function operationLimitsFromEnv(env: Env): OperationLimits {
  return {
    maxTokens: env.GRAPHQL_MAX_TOKENS,
    maxDepth: env.GRAPHQL_MAX_DEPTH,
    maxAliases: env.GRAPHQL_MAX_ALIASES,
    maxCost: env.GRAPHQL_MAX_COST,
    introspection: env.GRAPHQL_INTROSPECTION,
  };
}

/** The validation rules alone, for checking documents (e.g. every document the PWA sends) against the limits. */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, ...refuse("depth", limits.maxDepth) }),
    maxAliasesRule({ n: limits.maxAliases, ...refuse("aliases", limits.maxAliases) }),
    costLimitRule({ maxCost: limits.maxCost, ignoreIntrospection: true, ...refuse("cost", limits.maxCost) }),
  ];
}

export function operationLimitPlugins<Context extends object>(limits: OperationLimits): Plugin<Context>[] {
  const rules = operationLimitRules(limits);
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...refuse("tokens", limits.maxTokens) }),
    {
      onValidate: ({ addValidationRule }) => {
        for (const rule of rules) addValidationRule(rule);
      },
    },
    ...(limits.introspection ? [] : [useDisableIntrospection()]),
  ] as Plugin<Context>[];
}
