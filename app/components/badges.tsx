import { label } from "../lib/format.ts";

export function StatusBadge(props: { status: string }) {
  return <span class={`badge status-${props.status.toLowerCase()}`}>{label(props.status)}</span>;
}

export function PriorityBadge(props: { priority: string }) {
  return <span class={`badge priority-${props.priority.toLowerCase()}`}>{label(props.priority)}</span>;
}
