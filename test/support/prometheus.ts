/**
 * Reads Prometheus text exposition (version 0.0.4) as a scraper would: every sample line
 * `name{label="value",…} number`, comments and types skipped. Checks the grammar it relies on
 * instead of guessing: a line it cannot read fails the test.
 */
export type Samples = ReadonlyMap<string, number>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Samples {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not an exposition sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(LABEL)].map(([, k, v]) => [k ?? '', v ?? ''] as const);
    samples.set(key(match[1] ?? '', Object.fromEntries(labels)), Number(match[3]));
  }
  return samples;
}

function key(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

/** A sample's value; an absent series reads 0 (counters with labels appear on first increment). */
export function sample(samples: Samples, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return samples.get(key(name, labels)) ?? 0;
}

/** GET /metrics from `baseUrl`, checked for status and content type, parsed. */
export async function scrape(baseUrl: string, headers: Record<string, string> = {}): Promise<Samples> {
  const res = await fetch(`${baseUrl}/metrics`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${text}`);
  if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) throw new Error(`unexpected content type ${res.headers.get('content-type')}`);
  return parseExposition(text);
}
