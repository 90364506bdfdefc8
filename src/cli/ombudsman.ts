import { createCaseStore } from '../adapters/case-store';
import { createQueues } from '../adapters/queues';
import { Redis } from 'ioredis';
import { bullConnection, quitRedis, redisOptions } from '../adapters/redis';
import { loadConfig, processEnv } from '../config/env';
import { buildOmbudsmanCalendar, calendarYears } from '../config/holidays';
import { isOverdue } from '../core/business-days';
import { OMBUDSMAN_STATES, type OmbudsmanState } from '../core/ombudsman-states';
import { ConfigError } from '../errors';
import { createLogger } from '../log';
import { caseIdOf, createOmbudsmanActions } from '../workers/ombudsman';

export interface OmbudsmanCommandOptions {
  reason?: string;
  days?: string;
  by?: string;
  config?: string;
}

export interface OmbudsmanCommandContext {
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => Date;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** Every state a case can be moved to (nothing goes back to `received`), and `complex`. */
const ACTIONS = [...OMBUDSMAN_STATES.filter((state) => state !== 'received'), 'complex'] as const;

/**
 * `triage ombudsman <ref> [in_analysis|answered|closed|complex]` (policy §4): without an
 * action, prints the case's protocol, state and deadline; with a state, moves the case there; with
 * `complex --reason TEXT [--days N]`, extends the deadline. The customer's notice goes to the send
 * queue, where the running workers send it. Needs REDIS_URL, TRIAGE_REDIS_PREFIX,
 * TRIAGE_INBOX_ADDRESS and TRIAGE_SECRET as the service has them. Exit code 0, 1 (refused or
 * failed) or 2 (usage).
 */
export async function runOmbudsman(reference: string, action: string | undefined, options: OmbudsmanCommandOptions, ctx: OmbudsmanCommandContext = {}): Promise<number> {
  const out = ctx.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const err = ctx.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const id = caseIdOf(reference);
  if (!id) {
    err(`triage ombudsman: "${reference}" is not a case reference (MO-2026-000123)`);
    return 2;
  }
  if (action !== undefined && !(ACTIONS as readonly string[]).includes(action)) {
    err(`triage ombudsman: the action must be one of ${ACTIONS.join(', ')}`);
    return 2;
  }
  const days = options.days === undefined ? undefined : Number(options.days);
  if (days !== undefined && !Number.isInteger(days)) {
    err('triage ombudsman: --days must be a whole number of business days');
    return 2;
  }
  if (action === 'complex' && !options.reason?.trim()) {
    err('triage ombudsman: a complex case needs --reason (policy §4: the reason is recorded)');
    return 2;
  }

  let config;
  try {
    config = loadConfig(ctx.env ?? processEnv(), {
      role: 'web',
      needs: { imap: false, smtp: false, secret: true, inbox: true },
      ...(options.config ? { configDir: options.config } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`triage ombudsman: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const { rules } = config;
  const clock = ctx.now ?? (() => new Date());
  const logger = createLogger({ level: 'silent' });
  // Fails fast when Redis is not there (a producer connection), once connected.
  const redis = new Redis(config.redisUrl, { ...redisOptions('producer', 'triage-cli'), lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (e) {
    err(`triage ombudsman: cannot reach Redis: ${(e as Error).message}`);
    redis.disconnect();
    return 1;
  }
  const queues = createQueues({
    connection: bullConnection(config.redisUrl, 'producer', 'triage-cli-queues'),
    prefix: config.redisPrefix,
    retention: { completedDays: config.retention.completedDays },
    retry: { send: { attempts: config.workers.sendAttempts, delayMs: config.workers.sendRetryDelayMs } },
  });
  try {
    const store = createCaseStore(redis, config.redisPrefix);
    const actions = createOmbudsmanActions({
      store,
      enqueueMails: (mails, receivedAt) => queues.enqueueMails(mails, receivedAt),
      rules,
      calendarFor: (now) => buildOmbudsmanCalendar(rules.ombudsman, calendarYears(now, rules.ombudsman.timezone)),
      inboxAddress: config.inboxAddress as string,
      fromName: config.fromName,
      secret: config.secret as string,
      logger,
      now: clock,
    });
    const by = options.by?.trim() || 'cli';
    const result =
      action === undefined
        ? null
        : action === 'complex'
          ? await actions.markComplex(id, { reason: options.reason as string, by, ...(days !== undefined ? { businessDays: days } : {}) })
          : await actions.changeState(id, action as OmbudsmanState, by);
    if (result && !result.ok) {
      err(`triage ombudsman: ${result.message}`);
      return 1;
    }
    const stored = await store.getCase(id);
    const o = stored?.record.ombudsman;
    if (!stored || !o) {
      err(`triage ombudsman: ${stored ? `case ${id} is not an ombudsman case` : `no case ${id}`}`);
      return 1;
    }
    const open = o.state !== 'answered' && o.state !== 'closed';
    out(`${id}  protocol ${o.protocol}  state ${o.state}  deadline ${o.deadline}${open && isOverdue(new Date(o.deadline), clock()) ? '  OVERDUE' : ''}${o.complex ? `  complex: ${o.complex.reason}` : ''}`);
    if (result?.ok) out(result.repeated ? 'already so: the customer notice was queued again (sent once)' : `customer notice queued (${result.jobIds.length})`);
    return 0;
  } finally {
    await queues.close().catch(() => undefined);
    await quitRedis(redis).catch(() => undefined);
  }
}
