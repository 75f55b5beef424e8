/** Participants present over time, from visit intervals: a step series of (time, count) points. */
export function concurrency(visits: { joinedAt: string; leftAt: string }[]): { t: number; count: number }[] {
  const events: [number, number][] = [];
  for (const visit of visits) {
    events.push([Date.parse(visit.joinedAt), 1], [Date.parse(visit.leftAt), -1]);
  }
  // A leave and a join at the same instant do not overlap: leaves first.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const points: { t: number; count: number }[] = [];
  let count = 0;
  for (const [t, delta] of events) {
    count += delta;
    const last = points.at(-1);
    if (last && last.t === t) last.count = count;
    else points.push({ t, count });
  }
  return points;
}

export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
}
