import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';

/**
 * A private Dovecot for tests, the bench and local trials: its own config file in a temp dir,
 * a private loopback port, a static passdb (any user name logs in with `password`, so each test
 * takes a fresh user and needs no cleanup) and maildirs under the temp dir. Needs Debian's
 * `dovecot-imapd` (/usr/sbin/dovecot); no systemd, no system config.
 */

const execFileAsync = promisify(execFile);

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
export const DOVEADM_BINARY = '/usr/bin/doveadm';
/** The password every user of a private Dovecot logs in with. */
export const DOVECOT_TEST_PASSWORD = 'triage-test';

export interface StartDovecotOptions {
  /** Port on 127.0.0.1; default a free port picked by the OS. */
  port?: number;
  /** Directory for config, maildirs and logs; default a new temp dir (removed by `stop({ remove: true })`). */
  dir?: string;
  /** How long to wait for the greeting. Default 15 s. */
  startTimeoutMs?: number;
  binary?: string;
}

export interface ImapTestConnection {
  host: string;
  port: number;
  secure: false;
  auth: { user: string; pass: string };
  /** The private Dovecot has no TLS: do not even try STARTTLS. */
  doSTARTTLS: false;
}

export interface DovecotHandle {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly configPath: string;
  readonly password: string;
  /** PID of the Dovecot master, null while stopped. */
  pid(): number | null;
  /** imapflow connection options for a user (any name works). */
  connection(user: string): ImapTestConnection;
  /** `imap://user:pass@127.0.0.1:port/MAILBOX?starttls=never`. */
  url(user: string, mailbox?: string): string;
  /** Ends every session of the user from the server side (`doveadm kick`). */
  kick(user: string): Promise<void>;
  /** Stops Dovecot (sessions are dropped) and starts it again on the same port and maildirs. */
  restart(): Promise<void>;
  stop(options?: { remove?: boolean }): Promise<void>;
}

/** True when the Debian Dovecot binary is installed. */
export function isDovecotInstalled(binary = DOVECOT_BINARY): boolean {
  return existsSync(binary);
}

/** Starts a private Dovecot and resolves once it greets on its port. */
export async function startDovecot(options: StartDovecotOptions = {}): Promise<DovecotHandle> {
  const binary = options.binary ?? DOVECOT_BINARY;
  if (!isDovecotInstalled(binary)) {
    throw new Error(`${binary} not found: install Debian's dovecot-imapd (apt-get install -y dovecot-imapd)`);
  }
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await fs.mkdtemp(path.join(shortTmpDir(), 'triage-dovecot-')));
  const port = options.port ?? (await findFreePort());
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const users = await resolveUsers();

  await fs.mkdir(path.join(dir, 'mail'), { recursive: true });
  await fs.mkdir(path.join(dir, 'state'), { recursive: true });
  // Mail processes run as an unprivileged uid when we are root: they must reach the maildirs.
  await fs.chmod(dir, 0o755);
  await fs.chown(path.join(dir, 'mail'), users.mailUid, users.mailGid).catch(() => undefined);

  const configPath = path.join(dir, 'dovecot.conf');
  const logPath = path.join(dir, 'dovecot.log');
  await fs.writeFile(configPath, buildDovecotConfig({ dir, port, logPath, users }), 'utf8');

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    // Its own process group: Dovecot's imap and login processes outlive the master (they keep
    // serving open sessions), so stopping means signalling the whole group.
    const proc = spawn(binary, ['-F', '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    let exitInfo: string | null = null;
    exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = `code ${code ?? 'null'}, signal ${signal ?? 'none'}`;
        if (child === proc) child = null;
        resolve();
      });
    });
    child = proc;
    // A detached group does not get the terminal's Ctrl-C: make sure it never outlives us.
    const reap = (): void => {
      if (proc.pid !== undefined && proc.exitCode === null) signalGroup(proc.pid, 'SIGKILL');
    };
    process.once('exit', reap);
    proc.once('exit', () => process.removeListener('exit', reap));
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exitInfo !== null) {
        throw new Error(`dovecot exited during start-up (${exitInfo}): ${output.trim()}\n${await tail(logPath)}`);
      }
      if (await greets(port)) return;
      if (Date.now() > deadline) {
        if (proc.pid !== undefined) signalGroup(proc.pid, 'SIGKILL');
        throw new Error(`dovecot did not greet on 127.0.0.1:${port} within ${startTimeoutMs} ms\n${await tail(logPath)}`);
      }
      await sleep(50);
    }
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.pid === undefined) return;
    const group = proc.pid;
    signalGroup(group, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 5_000);
      }),
    ]);
    clearTimeout(timer);
    // Whatever is left of the group (sessions in imap processes, login processes holding the
    // listening socket) goes too: clients see their connection drop, as on a server crash.
    signalGroup(group, 'SIGKILL');
    if (!done) await exited;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (groupAlive(group) || (await accepts(port)))) await sleep(50);
  };

  await launch();

  return {
    host: '127.0.0.1',
    port,
    dir,
    configPath,
    password: DOVECOT_TEST_PASSWORD,
    pid: () => child?.pid ?? null,
    connection: (user) => ({ host: '127.0.0.1', port, secure: false, auth: { user, pass: DOVECOT_TEST_PASSWORD }, doSTARTTLS: false }),
    url: (user, mailbox = 'INBOX') =>
      `imap://${encodeURIComponent(user)}:${encodeURIComponent(DOVECOT_TEST_PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(mailbox)}?starttls=never`,
    kick: async (user) => {
      try {
        await execFileAsync(DOVEADM_BINARY, ['-c', configPath, 'kick', user]);
      } catch (err) {
        // doveadm exits 68 when nobody was connected: nothing to kick is not a failure.
        if ((err as { code?: number }).code !== 68) throw err;
      }
    },
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async (stopOptions = {}) => {
      await halt();
      if (stopOptions.remove ?? ownDir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * APPENDs raw messages to a mailbox over one connection (created if missing) and returns their
 * UIDs. For tests and the bench.
 */
export async function appendMessagesTo(
  connection: ImapTestConnection,
  mailbox: string,
  raws: ReadonlyArray<Buffer | string>,
  flags: string[] = [],
): Promise<number[]> {
  const client = new ImapFlow({ ...connection, logger: false, disableAutoIdle: true });
  await client.connect();
  try {
    if (mailbox.toUpperCase() !== 'INBOX') await ensureMailbox(client, mailbox);
    const uids: number[] = [];
    for (const raw of raws) {
      const res = await client.append(mailbox, raw, flags);
      if (!res) throw new Error(`APPEND to ${mailbox} failed`);
      uids.push(res.uid ?? 0);
    }
    return uids;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function ensureMailbox(client: ImapFlow, mailbox: string): Promise<void> {
  const list = await client.list();
  if (!list.some((m) => m.path === mailbox)) await client.mailboxCreate(mailbox);
}

interface DovecotUsers {
  loginUser: string;
  internalUser: string;
  internalGroup: string | null;
  mailUid: number;
  mailGid: number;
}

async function resolveUsers(): Promise<DovecotUsers> {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) {
    // Dovecot refuses mail access as uid 0: mail processes run as `nobody`; the login and internal
    // processes use the accounts the Debian package creates.
    const nobody = await idOf('nobody');
    const login = (await idOf('dovenull')) ? 'dovenull' : 'nobody';
    const internal = (await idOf('dovecot')) ? 'dovecot' : 'nobody';
    return {
      loginUser: login,
      internalUser: internal,
      internalGroup: null,
      mailUid: nobody?.uid ?? 65534,
      mailGid: nobody?.gid ?? 65534,
    };
  }
  // Unprivileged: every Dovecot process runs as ourselves.
  const user = os.userInfo().username;
  const gid = process.getgid?.() ?? uid;
  const group = (await execFileAsync('id', ['-gn'])).stdout.trim();
  return { loginUser: user, internalUser: user, internalGroup: group, mailUid: uid, mailGid: gid };
}

async function idOf(user: string): Promise<{ uid: number; gid: number } | null> {
  try {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', user]), execFileAsync('id', ['-g', user])]);
    return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  } catch {
    return null;
  }
}

function buildDovecotConfig(p: { dir: string; port: number; logPath: string; users: DovecotUsers }): string {
  const { dir, port, logPath, users } = p;
  return `# Private Dovecot for the triage tests: loopback only, plaintext auth, static passdb.
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = triage-${port}
log_path = ${logPath}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = ${users.loginUser}
default_internal_user = ${users.internalUser}
${users.internalGroup ? `default_internal_group = ${users.internalGroup}\n` : ''}first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:${dir}/mail/%u
mail_fsync = never
mailbox_idle_check_interval = 1 secs
default_client_limit = 2000
default_process_limit = 500

passdb {
  driver = static
  args = password=${DOVECOT_TEST_PASSWORD}
}
userdb {
  driver = static
  args = uid=${users.mailUid} gid=${users.mailGid} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
}
protocol imap {
  mail_max_userip_connections = 200
}
# No chroot: it needs root, and the tests may run unprivileged.
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

function shortTmpDir(): string {
  // Dovecot's unix sockets live under base_dir; keep the path well under the 108-byte limit.
  const tmp = os.tmpdir();
  return tmp.length <= 40 ? tmp : '/tmp';
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1, as picked by the OS. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('data', (d: Buffer) => finish(d.toString().startsWith('* OK')));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
  });
}

async function tail(file: string, lines = 20): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
