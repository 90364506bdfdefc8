import { loadRules } from '../config/load';
import { ConfigError } from '../errors';

export function runCheckConfig(options: { config?: string }): number {
  try {
    loadRules(options.config);
    process.stdout.write('configuration is valid\n');
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `triage: ${(err as Error).message}`}\n`);
    return 1;
  }
}
