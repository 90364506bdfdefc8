import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../log';
import type { IngestReceipt, IngestSink, MailSource, MailSourceStatus } from './ports';

export interface FolderSourceOptions {
  dir: string;
  sink: IngestSink;
  logger: Logger;
  /** Rescan every this many ms; 0 reads the folder once. */
  intervalMs?: number;
  /** Called after each file is ingested, in order. */
  onIngested?: (file: string, receipt: IngestReceipt) => void;
}

export interface FolderSource extends MailSource {
  /** Resolves once the first full scan has been ingested. */
  readonly firstScan: Promise<string[]>;
}

/**
 * A MailSource over a folder of .eml files (the demo, and tests that need no IMAP server). Files
 * are ingested in name order, one at a time, so a reply named after its original arrives after
 * it. A file is ingested once per run; across runs the ingest sink's hash makes a second ingest
 * harmless. The folder is never modified.
 */
export function createFolderSource(options: FolderSourceOptions): FolderSource {
  const dir = resolve(options.dir);
  const log = options.logger.child({ component: 'folder-source' });
  const seen = new Set<string>();
  const state: MailSourceStatus = { connected: false, lastPollAt: null, lastError: null };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let resolveFirst: (files: string[]) => void = () => undefined;
  let rejectFirst: (err: unknown) => void = () => undefined;
  const firstScan = new Promise<string[]>((res, rej) => {
    resolveFirst = res;
    rejectFirst = rej;
  });
  firstScan.catch(() => undefined);
  let sequence = 0;

  async function scan(): Promise<string[]> {
    const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.eml')).sort();
    const done: string[] = [];
    for (const name of names) {
      if (stopped) break;
      const path = join(dir, name);
      if (seen.has(path) || !(await stat(path)).isFile()) continue;
      const raw = await readFile(path);
      const receipt = await options.sink.ingest(raw, { source: `folder:${dir}`, uid: ++sequence, receivedAt: new Date() });
      seen.add(path);
      done.push(name);
      options.onIngested?.(name, receipt);
    }
    state.lastPollAt = new Date();
    state.lastError = null;
    return done;
  }

  function schedule(): void {
    if (stopped || !options.intervalMs) return;
    timer = setTimeout(() => {
      running = scan()
        .then(() => undefined)
        .catch((err: unknown) => {
          state.lastError = (err as Error).message;
          log.warn({ err }, 'folder scan failed');
        })
        .finally(schedule);
    }, options.intervalMs);
  }

  return {
    firstScan,
    async start() {
      stopped = false;
      state.connected = true;
      running = scan()
        .then((files) => resolveFirst(files))
        .catch((err: unknown) => {
          state.lastError = (err as Error).message;
          rejectFirst(err);
        })
        .finally(schedule);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
      state.connected = false;
    },
    status() {
      return { ...state };
    },
  };
}
