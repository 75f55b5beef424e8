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
