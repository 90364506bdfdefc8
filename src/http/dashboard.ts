import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { maskNifs } from '../log';

export const DASHBOARD_PATH = '/admin/queues';

/** Job fields that may hold message content: never shown on the board (policy §3). */
const CONTENT_KEYS = /^(text|html|body|raw|rawSource|subject|content|attachments|password|pass|secret|token|authorization)$/i;

/** What the board shows of a job's data or result: content fields redacted, NIFs masked. */
export function redactJobData(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskNifs(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => redactJobData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = CONTENT_KEYS.test(k) ? '[redacted]' : redactJobData(v, depth + 1);
  }
  return out;
}

/**
 * Board actions that could send mail nobody decided (adding a job, editing its data) or lose
 * mail (emptying or obliterating a queue) are refused; retrying, promoting, cleaning and pausing
 * stay available. Paths are relative to the board's base path.
 */
const REFUSED: Array<[string, RegExp]> = [
  ['POST', /^\/api\/queues\/[^/]+\/add$/],
  ['PATCH', /^\/api\/queues\/[^/]+\/[^/]+\/update-data$/],
  ['PUT', /^\/api\/queues\/[^/]+\/(empty|obliterate)$/],
  ['POST', /^\/api\/metrics\/history\/purge$/],
];

export function isRefusedBoardAction(method: string, url: string): boolean {
  if (!url.startsWith(DASHBOARD_PATH)) return false;
  const path = (url.split('?')[0] ?? '').slice(DASHBOARD_PATH.length);
  return REFUSED.some(([m, re]) => m === method.toUpperCase() && re.test(path));
}

/** Registers bull-board for every queue under /admin/queues (auth is the server's root hook). */
export function registerDashboard(app: FastifyInstance, queues: readonly Queue[]): void {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const adapters = queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, { allowRetries: true, readOnlyMode: false });
    adapter.setFormatter('data', (data: unknown) => redactJobData(data));
    adapter.setFormatter('returnValue', (data: unknown) => redactJobData(data));
    return adapter;
  });
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Triage queues', hideDocsLink: true, miscLinks: [{ text: 'Case console', url: '/cases' }] } },
  });
  app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
}
