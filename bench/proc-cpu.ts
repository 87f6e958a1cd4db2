/**
 * CPU time of processes, read from /proc (Linux): where a phase's work went (the nodes, the
 * PostgreSQL server, the bench's own clients), since two cores are shared by all of them.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux on every common architecture). */
const TICKS_PER_S = 100;

/** User + system CPU seconds of one process so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

/** The pids of every process whose command name is `name` (e.g. every PostgreSQL backend). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone between the listing and the read
    }
  }
  return pids;
}

/** Starts counting: the returned function gives the CPU seconds each group spent since. */
export function cpuMeter(groups: Record<string, () => readonly number[]>): () => Record<string, number> {
  const read = (): Map<string, Map<number, number>> => new Map(Object.entries(groups).map(([label, pids]) => [label, new Map(pids().map((pid) => [pid, cpuSecondsOf(pid)]))]));
  const before = read();
  return () => {
    const spent: Record<string, number> = {};
    for (const [label, pids] of read()) {
      let total = 0;
      for (const [pid, now] of pids) total += now - (before.get(label)?.get(pid) ?? 0);
      spent[label] = total;
    }
    return spent;
  };
}
