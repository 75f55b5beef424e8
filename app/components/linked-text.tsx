import { For, type JSX } from "solid-js";
import { textParts } from "../lib/links.ts";

/** A message body with its web addresses as links (e.g. the join link a support call writes into a ticket). */
export function LinkedText(props: { text: string }): JSX.Element {
  return (
    <For each={textParts(props.text)}>{(part) => (part.href ? <a href={part.href}>{part.text}</a> : part.text)}</For>
  );
}
