import { loadConfig, processEnv, ROLES, type AppConfig, type Role } from '../config/env';
import { ConfigError, type ConfigIssue } from '../errors';
import { createLogger } from '../log';
import { roleRuns, startApp, type App, type AppOptions } from '../main';
import { loadWebStarter } from '../web-role';

export interface StartOptions {
  role?: string;
  config?: string;
}

/** How long shutdown may take before the process exits anyway (in-flight sends get this long). */
const SHUTDOWN_GRACE_MS = 30_000;

/**
 * `triage start [--role all|poller|worker|web]`: validates the environment and the rules (every
 * problem listed, exit 1), starts the role, and shuts down in order on SIGTERM or SIGINT.
 * Resolves with the exit code once the service has stopped.
 */
export async function runStart(options: StartOptions, extra: Partial<AppOptions> = {}): Promise<number> {
  if (options.role !== undefined && !ROLES.includes(options.role as Role)) {
    process.stderr.write(`triage start: --role must be one of ${ROLES.join(', ')}\n`);
    return 2;
  }
  const env = processEnv();
  const role = (options.role as Role | undefined) ?? undefined;
  // Every problem of the environment, the rules and the web settings, reported at once.
  const issues: ConfigIssue[] = [];
  let config: AppConfig | undefined;
  try {
    config = loadConfig(env, { ...(role ? { role } : {}), ...(options.config ? { configDir: options.config } : {}) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  const effectiveRole = config?.role ?? role ?? 'all';
  let startWeb = extra.startWeb;
  if (!startWeb && roleRuns(effectiveRole).web) {
    try {
      startWeb = loadWebStarter(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }
  if (issues.length > 0 || !config) {
    process.stderr.write(`triage start: ${new ConfigError(issues).message}\n`);
    return 1;
  }
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  let app: App;
  try {
    app = await startApp({ config, logger, ...extra, ...(startWeb ? { startWeb } : {}) });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    return 1;
  }

  return new Promise<number>((resolve) => {
    let signalled = false;
    const finish = (code: number): void => {
      // A library handle left open must not keep a stopped service alive.
      setTimeout(() => process.exit(code), 2_000).unref();
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) return;
      signalled = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'shutdown took too long; exiting');
        finish(1);
      }, SHUTDOWN_GRACE_MS);
      force.unref();
      app.stop().then(
        () => {
          clearTimeout(force);
          finish(0);
        },
        (err: unknown) => {
          clearTimeout(force);
          logger.error({ err }, 'shutdown failed');
          finish(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
