/**
 * Invitee lists as people type or paste them: one rule set for the PWA's invitee chips and the API's
 * `invites`/`inviteList` input, so both accept and refuse the same entries with the same words.
 *
 * A list is split on commas, semicolons and new lines (not inside quotes or `<…>`); each entry is `email`,
 * `<email>`, `Name <email>`, `"Last, First" <email>` or `Name email`.
 */

export interface Invitee {
  name: string;
  email: string;
}

/** An entry that names no one, or more than one person: shown to the user as typed, with why. */
export interface InviteeProblem {
  entry: string;
  message: string;
}

export type ParsedEntry = { ok: true; invitee: Invitee } | { ok: false; problem: InviteeProblem };

export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 100;

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/;
const EMAIL_INSIDE = /[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}/g;

export function isEmailAddress(value: string): boolean {
  return value.length <= MAX_EMAIL_LENGTH && EMAIL.test(value);
}

/** How many addresses a piece of text contains (a name holding one is a list typed into the wrong field). */
export function countEmailAddresses(text: string): number {
  return text.match(EMAIL_INSIDE)?.length ?? 0;
}

/** Splits pasted text into entries on `,` `;` and new lines, leaving separators inside quotes or `<…>` alone. */
export function splitInviteeList(text: string): string[] {
  const entries: string[] = [];
  let current = "";
  scan(text, (char, separates) => {
    if (separates) {
      entries.push(current);
      current = "";
    } else current += char;
  });
  entries.push(current);
  return entries.map((entry) => entry.trim()).filter(Boolean);
}

/** Whether typed text just ended an entry: its last character is a separator outside quotes and `<…>`. */
export function endsWithSeparator(text: string): boolean {
  let last = false;
  scan(text, (_char, separates) => {
    last = separates;
  });
  return last;
}

function scan(text: string, visit: (char: string, separates: boolean) => void): void {
  let quoted = false;
  let bracketed = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (char === "<" && !quoted) bracketed = true;
    else if (char === ">" && !quoted) bracketed = false;
    visit(char, !quoted && !bracketed && (char === "," || char === ";" || char === "\n" || char === "\r"));
  }
}

/** The name people see when none was given: the address's local part ("pat.doe@…" → "pat.doe"). */
export function defaultName(email: string): string {
  return email.split("@")[0] ?? email;
}

/** Reads one entry (one person). */
export function parseInviteeEntry(raw: string): ParsedEntry {
  const entry = raw.trim();
  const fail = (message: string): ParsedEntry => ({ ok: false, problem: { entry, message } });
  const addresses = countEmailAddresses(entry);
  if (addresses > 1) return fail("holds more than one address: give each person as their own entry");
  let name = "";
  let email = "";
  const angled = /^(.*?)<([^<>]*)>$/s.exec(entry);
  if (angled) {
    name = angled[1] ?? "";
    email = (angled[2] ?? "").trim();
  } else if (entry.includes("<") || entry.includes(">")) {
    return fail("is missing a < or >: write Name <email>");
  } else {
    const words = entry.split(/\s+/);
    email = words.pop() ?? "";
    name = words.join(" ");
  }
  email = email.toLowerCase();
  if (!isEmailAddress(email)) return fail("is not an email address");
  name = name
    .trim()
    .replace(/^"(.*)"$/s, "$1")
    .trim();
  if (name.length > MAX_NAME_LENGTH) return fail(`has a name longer than ${MAX_NAME_LENGTH} characters`);
  return { ok: true, invitee: { name: name || defaultName(email), email } };
}

/** Reads pasted text: one invitee per entry (first spelling of a repeated address kept), and the entries it refused. */
export function parseInviteeList(text: string): { invitees: Invitee[]; problems: InviteeProblem[] } {
  const invitees: Invitee[] = [];
  const problems: InviteeProblem[] = [];
  const seen = new Set<string>();
  for (const entry of splitInviteeList(text)) {
    const parsed = parseInviteeEntry(entry);
    if (!parsed.ok) problems.push(parsed.problem);
    else if (!seen.has(parsed.invitee.email)) {
      seen.add(parsed.invitee.email);
      invitees.push(parsed.invitee);
    }
  }
  return { invitees, problems };
}

/** `"nonsense" is not an email address`: a problem as one sentence, quoting what the user typed. */
export function describeProblem(problem: InviteeProblem): string {
  return `"${problem.entry}" ${problem.message}`;
}

/**
 * Checks an invitee given as separate fields (the API's `invites`): the name must not be an address or a list of
 * them (the issue-19 mistake: "guest@example.com, boss@example.org" read as a name and an address), and the email
 * must be exactly one address. Answers the field at fault and why, or undefined.
 */
export function checkInvitee(invitee: {
  name: string;
  email: string;
}): { field: "name" | "email"; message: string } | undefined {
  const email = invitee.email.trim();
  if (countEmailAddresses(email) > 1)
    return { field: "email", message: `"${email}" holds more than one address: send each person as their own invitee` };
  if (countEmailAddresses(invitee.name) > 0)
    return {
      field: "name",
      message: `"${invitee.name.trim()}" is an email address, not a name: send each person as their own invitee`,
    };
  return undefined;
}
