/**
 * Passwords an attacker tries first. Not a breach corpus (no large dependency): the most common passwords of 8 or
 * more characters in public password-list studies, compared case-insensitively, plus two rules that catch whole
 * families of them (one repeated character, a run such as "abcdefgh" or "98765432").
 */
const COMMON_PASSWORDS = new Set([
  "12345678",
  "123456789",
  "1234567890",
  "12345678910",
  "87654321",
  "11223344",
  "password",
  "password1",
  "password12",
  "password123",
  "passw0rd",
  "p@ssw0rd",
  "qwertyui",
  "qwertyuiop",
  "qwerty123",
  "qwerty12",
  "1q2w3e4r",
  "1q2w3e4r5t",
  "1qaz2wsx",
  "zaq12wsx",
  "asdfghjk",
  "asdfghjkl",
  "zxcvbnm1",
  "abcd1234",
  "abc12345",
  "abc123456",
  "iloveyou",
  "iloveyou1",
  "sunshine",
  "football",
  "baseball",
  "princess",
  "superman",
  "starwars",
  "whatever",
  "trustno1",
  "letmein1",
  "welcome1",
  "welcome123",
  "admin123",
  "administrator",
  "changeme",
  "computer",
  "internet",
  "michelle",
  "jennifer",
  "liverpool",
  "1234qwer",
  "q1w2e3r4",
  "00000000",
]);

/** Every character the same ("aaaaaaaa"), or each one step after or before the last ("abcdefgh", "98765432"). */
function isTrivialRun(password: string): boolean {
  const codes = [...password.toLowerCase()].map((character) => character.codePointAt(0) ?? 0);
  const steps = new Set(codes.slice(1).map((code, index) => code - (codes[index] ?? 0)));
  return steps.size === 1 && [0, 1, -1].includes([...steps][0] ?? 2);
}

/** Why this password is refused, as a field error message; null when it passes. */
export function weakPasswordReason(password: string): string | null {
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return "is one of the most common passwords: choose another";
  if (isTrivialRun(password)) return "must not be one repeated character or a run such as abcdefgh or 12345678";
  return null;
}
