import { createHash } from 'node:crypto';
import { messageHash, rawMessageId } from '../../../src/adapters/ingest';
import { teamAddresses } from '../../../src/core/case-matching';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('message identity', () => {
  it('hashes the Message-ID as written, folded headers included', () => {
    const raw = Buffer.from('Subject: x\r\nMessage-ID:\r\n <Abc.1@Cliente.PT>\r\nFrom: a@b.pt\r\n\r\nbody');
    expect(rawMessageId(raw)).toBe('<Abc.1@Cliente.PT>');
    expect(messageHash(raw)).toBe(sha('<Abc.1@Cliente.PT>'));
  });

  it('gives two copies with the same Message-ID the same hash', () => {
    const a = Buffer.from('Message-ID: <m@x.pt>\r\nReceived: by a\r\n\r\nbody');
    const b = Buffer.from('Received: by b\r\nMessage-ID: <m@x.pt>\r\n\r\nbody');
    expect(messageHash(a)).toBe(messageHash(b));
  });

  it('hashes the bytes when there is no Message-ID, and ignores one in the body', () => {
    const raw = Buffer.from('Subject: x\r\n\r\nMessage-ID: <in-body@x.pt>\r\n');
    expect(rawMessageId(raw)).toBeNull();
    expect(messageHash(raw)).toBe(sha(raw));
  });
});

describe('teamAddresses', () => {
  it('lists every route destination, to and cc, lower case', () => {
    const teams = teamAddresses({ invoice: { to: ['Rute@Ageas.pt'], cc: ['cc@medis.pt'] }, policy: { to: ['m@medis.pt'], cc: [] } });
    expect([...teams].sort()).toEqual(['cc@medis.pt', 'm@medis.pt', 'rute@ageas.pt']);
  });
});
