import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { generateToken, hashPassword, hashToken } from '../http/passwords';

/**
 * `triage hash-password NAME`: prints a `NAME:scrypt:…` entry for TRIAGE_WEB_USERS (or the users
 * file). The password is read from the terminal without echo (twice), or from the first line of
 * standard input when it is not a terminal; it is never taken from the command line, where it
 * would stay in the shell history and the process list.
 *
 * `triage hash-password --token NAME`: makes a new random API token and prints it once, with its
 * `NAME:sha256:…` entry for TRIAGE_WEB_TOKENS.
 */
export interface HashPasswordIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MIN_PASSWORD = 12;

function readLine(io: HashPasswordIo, prompt: string, hidden: boolean): Promise<string | null> {
  const muted = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!hidden) io.errors.write(chunk);
      cb();
    },
  });
  if (hidden) io.errors.write(prompt);
  const rl = createInterface({ input: io.input, output: hidden ? muted : io.errors, terminal: !!io.input.isTTY });
  return new Promise((resolve) => {
    let answered = false;
    rl.question(hidden ? '' : prompt, (answer) => {
      answered = true;
      if (hidden) io.errors.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('close', () => {
      if (!answered) resolve(null);
    });
  });
}

export async function runHashPassword(
  name: string,
  options: { token?: boolean },
  io: HashPasswordIo = { input: process.stdin, output: process.stdout, errors: process.stderr },
): Promise<number> {
  if (!NAME.test(name)) {
    io.errors.write('triage hash-password: NAME must be 1-64 letters, digits, . _ @ or -\n');
    return 2;
  }
  if (options.token) {
    const token = generateToken();
    io.output.write(`token=${token}\nentry=${name}:${hashToken(token)}\n`);
    io.errors.write('Give the token to the client (it is shown only this once); put the entry in TRIAGE_WEB_TOKENS.\n');
    return 0;
  }
  const interactive = !!io.input.isTTY;
  const password = await readLine(io, 'Password: ', interactive);
  if (password === null || password.length < MIN_PASSWORD) {
    io.errors.write(`triage hash-password: the password must have at least ${MIN_PASSWORD} characters\n`);
    return 1;
  }
  if (interactive) {
    const again = await readLine(io, 'Repeat: ', true);
    if (again !== password) {
      io.errors.write('triage hash-password: the passwords differ\n');
      return 1;
    }
  }
  io.output.write(`${name}:${await hashPassword(password)}\n`);
  return 0;
}
