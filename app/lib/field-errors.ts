/** A ValidationError's field errors keyed by the input field (`input.subject` → `subject`). */
export function fieldErrorMap(
  fieldErrors: readonly { path: string; message: string }[] | undefined,
): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { path, message } of fieldErrors ?? []) {
    const key = path.replace(/^input\./, "").split(".")[0] ?? path;
    map[key] ??= message;
  }
  return map;
}

export function validateEmail(value: string): string | undefined {
  if (!value.trim()) return "Enter your email address";
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim()) ? undefined : "Enter an email address like name@example.com";
}

export function validatePassword(value: string): string | undefined {
  return value.length >= 8 ? undefined : "Use at least 8 characters";
}

export function validateRequired(value: string, message: string, min = 1): string | undefined {
  return value.trim().length >= min ? undefined : message;
}
