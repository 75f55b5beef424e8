import type { JSX } from "solid-js";

/** Reserves the space of the content it stands for, so nothing jumps when data arrives. */
export function LoadingState(props: { label: string; rows?: number }) {
  return (
    <div class="state" role="status" aria-live="polite">
      <span class="visually-hidden">{props.label}</span>
      {Array.from({ length: props.rows ?? 3 }, () => (
        <div class="skeleton" aria-hidden="true" />
      ))}
    </div>
  );
}

export function EmptyState(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state state-empty">
      <p class="state-title">{props.title}</p>
      {props.children}
    </div>
  );
}

export function ErrorState(props: { message: string; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p class="state-title">Something went wrong</p>
      <p>{props.message}</p>
      {props.onRetry && (
        <button type="button" class="button secondary" onClick={() => props.onRetry?.()}>
          Try again
        </button>
      )}
    </div>
  );
}
