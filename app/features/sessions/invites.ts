/** Parses pasted invitees, one per line: `Name <email>`, `email`, or `Name, email`. Reports lines it cannot read. */
export function parseInvites(text: string): { invites: { name: string; email: string }[]; bad: string[] } {
  const invites: { name: string; email: string }[] = [];
  const bad: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const match =
      /^(.*?)\s*<([^<>\s]+@[^<>\s]+\.[^<>\s]+)>$/.exec(line) ??
      /^(.*?)[,;\s]+([^\s,;]+@[^\s,;]+\.[^\s,;]+)$/.exec(line);
    const bare = /^([^\s,;<>]+@[^\s,;<>]+\.[^\s,;<>]+)$/.exec(line);
    const email = (match?.[2] ?? bare?.[1])?.toLowerCase();
    if (!email) {
      bad.push(line);
      continue;
    }
    if (seen.has(email)) continue;
    seen.add(email);
    const name = (match?.[1] ?? "").replace(/^["']|["']$/g, "").trim() || (email.split("@")[0] ?? email);
    invites.push({ name, email });
  }
  return { invites, bad };
}

/** "60, 15" → [60, 15]; undefined when a value is not a whole number of minutes. */
export function parseOffsets(text: string): number[] | undefined {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  const values = parts.map(Number);
  return values.every((value) => Number.isInteger(value) && value > 0) ? values : undefined;
}

/** ISO → value for <input type="datetime-local"> in local time. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
