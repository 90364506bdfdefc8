import { maskString } from '../log';

/**
 * Readiness probes, injected by the composition root: each answers whether one dependency is
 * usable now. /readyz runs them all in parallel with a time limit and answers 503 when any fails.
 */
export type Probe = () => Promise<ProbeResult>;

export interface ProbeResult {
  ok: boolean;
  /** Short, operator-facing, never a secret or an address with credentials. */
  detail?: string;
}

export type Probes = Readonly<Record<string, Probe>>;

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; ms: number; detail?: string }>;
}

export const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(probes: Probes, timeoutMs = PROBE_TIMEOUT_MS): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      const started = Date.now();
      try {
        const result = await withTimeout(probe(), timeoutMs);
        const check = { ok: result.ok, ms: Date.now() - started, ...(result.detail ? { detail: result.detail } : {}) };
        return [name, check] as const;
      } catch (err) {
        return [name, { ok: false, ms: Date.now() - started, detail: maskString((err as Error).message).slice(0, 200) }] as const;
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  return { ok: entries.every(([, c]) => c.ok), checks };
}

/** The IMAP part of readiness: connected, and the last poll no older than `maxAgeMs`. */
export function imapProbe(
  status: () => Promise<{ connected: boolean; lastPollAt: Date | null } | null>,
  maxAgeMs: number,
  now: () => Date = () => new Date(),
): Probe {
  return async () => {
    const s = await status();
    if (!s) return { ok: false, detail: 'no poller status' };
    if (!s.connected) return { ok: false, detail: 'not connected' };
    if (!s.lastPollAt) return { ok: false, detail: 'no poll yet' };
    const age = now().getTime() - s.lastPollAt.getTime();
    if (age > maxAgeMs) return { ok: false, detail: `last poll ${Math.round(age / 1000)} s ago` };
    return { ok: true, detail: `last poll ${Math.round(age / 1000)} s ago` };
  };
}
