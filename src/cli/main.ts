#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { runCheckConfig } from './check-config';
import { runExplain } from './explain';
import { runStart } from './start';
import { runHashPassword } from './hash-password';
import { runOmbudsman, type OmbudsmanCommandOptions } from './ombudsman';

/** `triage`: the command line. Each subcommand lives in its own file beside this one. */
export function buildProgram(): Command {
  const program = new Command('triage')
    .description('Email triage for the Médico Online support inbox')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('explain')
    .description('decide each message as the service would, without network, Redis or sending')
    .argument('<paths...>', '.eml files or folders of them')
    .option('--json', 'one JSON object per message (policy §6)')
    .option('--config <dir>', 'folder of rules files (default: the shipped config/)')
    .action(async (paths: string[], options: { json?: boolean; config?: string }) => {
      process.exitCode = await runExplain(paths, options);
    });

  program
    .command('check-config')
    .description('validate the rules files and list every problem')
    .option('--config <dir>', 'folder of rules files (default: the shipped config/)')
    .action((options: { config?: string }) => {
      process.exitCode = runCheckConfig(options);
    });

  program
    .command('hash-password')
    .description('print a TRIAGE_WEB_USERS entry for NAME (password read without echo), or with --token a new API token and its TRIAGE_WEB_TOKENS entry')
    .argument('<name>', 'user or token name')
    .option('--token', 'make a random API token instead of hashing a password')
    .action(async (name: string, options: { token?: boolean }) => {
      process.exitCode = await runHashPassword(name, options);
    });

  program
    .command('ombudsman')
    .description('show an ombudsman case, move it to its next state (in_analysis, answered, closed) or mark it complex; the customer is told')
    .argument('<ref>', 'case reference, e.g. MO-2026-000123')
    .argument('[action]', 'in_analysis | answered | closed | complex')
    .option('--reason <text>', 'why the case is complex (required with complex)')
    .option('--days <n>', 'complex deadline in business days (default: the configured maximum)')
    .option('--by <name>', 'who acts (recorded in the timeline)')
    .option('--config <dir>', 'folder of rules files (default: TRIAGE_CONFIG_DIR, else the shipped config/)')
    .action(async (ref: string, action: string | undefined, options: OmbudsmanCommandOptions) => {
      process.exitCode = await runOmbudsman(ref, action, options);
    });

  program
    .command('start')
    .description('run the service: all roles in one process, or one role (poller, worker, web)')
    .option('--role <role>', 'all | poller | worker | web (default: ROLE, else all)')
    .option('--config <dir>', 'folder of rules files (default: TRIAGE_CONFIG_DIR, else the shipped config/)')
    .action(async (options: { role?: string; config?: string }) => {
      process.exitCode = await runStart(options);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`triage: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  // A reader that goes away (`triage explain … | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  void main(process.argv);
}
