import type { DovecotHandle } from '../../src/dev/dovecot';

/** Stops the Dovecot global-setup.ts started and removes its temp dir. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __TRIAGE_DOVECOT__?: DovecotHandle };
  const dovecot = holder.__TRIAGE_DOVECOT__;
  delete holder.__TRIAGE_DOVECOT__;
  if (dovecot) await dovecot.stop({ remove: true });
}
