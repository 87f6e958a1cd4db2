/**
 * The benches' event-loop instrumentation, which production does not carry: delay percentiles
 * (monitorEventLoopDelay), a drift sampler that timestamps stalls, GC pauses, CPU and preemptions
 * since the last reset. The presence server and the bare `ws` baseline both carry it, so their
 * stalls are measured alike.
 */
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The histogram samples every 10 ms; a sample is the whole interval, so the delay is the excess. */
const RESOLUTION_MS = 10;
const BLOCK_RECORD_MS = 50;

export interface LoopStats {
  /** Event-loop delay from monitorEventLoopDelay, resolution subtracted, ms. */
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  /** Stalls seen by a 10 ms interval timer: end time (epoch ms) and length. */
  readonly stalls: readonly { readonly endAt: number; readonly ms: number }[];
  readonly maxStallMs: number;
  /** Garbage-collection pauses in the same window (major = mark-compact). */
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number; readonly major: number; readonly majorMaxMs: number };
  /** Times the kernel took the CPU away from the server (another process wanted it). */
  readonly involuntaryContextSwitches: number;
}

export class LoopProbe {
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private stalls: { endAt: number; ms: number }[] = [];
  private maxStallMs = 0;
  private last = performance.now();
  private cpu = process.cpuUsage();
  private since = performance.now();
  private switches = process.resourceUsage().involuntaryContextSwitches;
  private gc = { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMaxMs: 0 };

  constructor() {
    this.histogram.enable();
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const major = (entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR;
        this.gc.count++;
        this.gc.totalMs += entry.duration;
        this.gc.maxMs = Math.max(this.gc.maxMs, entry.duration);
        if (major) {
          this.gc.major++;
          this.gc.majorMaxMs = Math.max(this.gc.majorMaxMs, entry.duration);
        }
      }
    }).observe({ entryTypes: ['gc'] });
    setInterval(() => {
      const now = performance.now();
      const stall = now - this.last - RESOLUTION_MS;
      this.last = now;
      if (stall > this.maxStallMs) this.maxStallMs = stall;
      if (stall >= BLOCK_RECORD_MS && this.stalls.length < 500) this.stalls.push({ endAt: Date.now(), ms: Math.round(stall) });
    }, RESOLUTION_MS);
  }

  reset(): void {
    this.histogram.reset();
    this.stalls = [];
    this.maxStallMs = 0;
    this.cpu = process.cpuUsage();
    this.since = performance.now();
    this.switches = process.resourceUsage().involuntaryContextSwitches;
    this.gc = { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMaxMs: 0 };
  }

  read(): { loop: LoopStats; cpuMs: number; wallMs: number } {
    const h = this.histogram;
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const cpu = process.cpuUsage(this.cpu);
    return {
      loop: {
        minMs: ms(h.min), p50Ms: ms(h.percentile(50)), p90Ms: ms(h.percentile(90)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max),
        samples: h.count, stalls: this.stalls, maxStallMs: Math.max(0, this.maxStallMs),
        gc: { ...this.gc }, involuntaryContextSwitches: process.resourceUsage().involuntaryContextSwitches - this.switches,
      },
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - this.since,
    };
  }
}
