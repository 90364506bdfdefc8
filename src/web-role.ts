import { parseMessage } from './adapters/mime';
import { createProtocolCounter } from './adapters/protocol-counter';
import { sendJobId } from './adapters/queues';
import { ConfigError } from './errors';
import { createRedisCaseConsole } from './http/case-console-redis';
import { imapProbe, type Probes } from './http/health';
import { buildServer } from './http/server';
import { loadWebConfig, type WebConfig } from './http/web-config';
import type { AppOptions, WebContext, WebHandle } from './main';

/**
 * The web role's starter: the case console, queue dashboard, metrics and health over the
 * pipeline's case store and queues. The web part of the environment (users, tokens, session
 * secret) is validated here, at boot, with the rest: a ConfigError lists every problem.
 */
export function loadWebStarter(env: Readonly<Record<string, string | undefined>>): NonNullable<AppOptions['startWeb']> {
  const web: WebConfig = loadWebConfig(env);
  return async (ctx: WebContext): Promise<WebHandle> => {
    const { config } = ctx;
    if (!config.inboxAddress || !config.secret) {
      throw new ConfigError([
        { file: 'env', key: 'TRIAGE_INBOX_ADDRESS', message: 'the web role releases review cases: it needs TRIAGE_INBOX_ADDRESS and TRIAGE_SECRET' },
      ]);
    }
    const cases = createRedisCaseConsole({
      redis: ctx.redis,
      store: ctx.store,
      rules: config.rules,
      parseMessage,
      enqueueMails: (mails, receivedAt) => ctx.queues.enqueueMails(mails, receivedAt),
      mailJobState: async (messageId) => {
        const job = await ctx.queues.send.getJob(sendJobId(messageId));
        if (!job) return null;
        return { state: await job.getState(), failedReason: job.failedReason ?? null };
      },
      protocols: createProtocolCounter(ctx.redis, config.redisPrefix),
      calendarFor: ctx.calendarFor,
      inboxAddress: config.inboxAddress,
      fromName: config.fromName,
      secret: config.secret,
      logger: ctx.logger,
      ...(ctx.now ? { now: ctx.now } : {}),
    });
    const probes: Record<string, Probes[string]> = {
      redis: async () => ({ ok: (await ctx.redis.ping()) === 'PONG' }),
      queue: async () => {
        await ctx.queues.send.getJobCounts('waiting');
        return { ok: true };
      },
    };
    const source = ctx.source;
    if (source) {
      probes['imap'] = imapProbe(async () => source.status(), Math.max(3 * (config.imap?.pollSeconds ?? 60) * 1000, 120_000));
    }
    const sender = ctx.sender;
    if (sender) {
      probes['smtp'] = async () => {
        await sender.verify();
        return { ok: true };
      };
    }
    const server = buildServer({
      auth: web.auth,
      logger: ctx.logger,
      queues: [ctx.queues.classify, ctx.queues.send],
      cases,
      probes,
      metrics: ctx.metrics,
      ...(source ? { imapStatus: async () => source.status() } : {}),
      ...(ctx.now ? { now: ctx.now } : {}),
    });
    await server.listen({ host: web.host, port: web.port });
    ctx.logger.child({ component: 'http' }).info({ host: web.host, port: web.port }, 'web role listening');
    return { close: () => server.close() };
  };
}
