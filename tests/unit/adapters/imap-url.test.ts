import { ConfigError } from '../../../src/errors';
import {
  describeImapEndpoint,
  parseImapUrl,
  parseMarkHandled,
  toImapConnectionOptions,
} from '../../../src/adapters/imap-url';

describe('parseImapUrl', () => {
  it.each([
    ['imap://u:p@mail.example.pt', { host: 'mail.example.pt', port: 143, secure: false, mailbox: 'INBOX' }],
    ['imaps://u:p@mail.example.pt', { host: 'mail.example.pt', port: 993, secure: true, mailbox: 'INBOX' }],
    ['imap://u:p@127.0.0.1:14300/INBOX', { host: '127.0.0.1', port: 14300, secure: false, mailbox: 'INBOX' }],
    ['imaps://u:p@mail.example.pt:1993/Apoio', { host: 'mail.example.pt', port: 1993, secure: true, mailbox: 'Apoio' }],
    ['imap://u:p@[::1]:143/', { host: '::1', port: 143, secure: false, mailbox: 'INBOX' }],
    ['IMAPS://u:p@Mail.Example.PT/INBOX', { host: 'mail.example.pt', port: 993, secure: true, mailbox: 'INBOX' }],
  ])('when given %s, then host, port, TLS and mailbox are read with their defaults', (url, expected) => {
    expect(parseImapUrl(url)).toMatchObject(expected);
  });

  it('when user and password are URL-encoded, then they are decoded', () => {
    const e = parseImapUrl('imaps://apoio%40example.pt:p%C3%A1ss%2Fw%3Ard%40%25@mail.example.pt/INBOX');
    expect(e.auth).toEqual({ user: 'apoio@example.pt', pass: 'páss/w:rd@%' });
  });

  it('when the mailbox is encoded or nested, then it is decoded as one path', () => {
    expect(parseImapUrl('imap://u:p@h/Caixa%20de%20Apoio').mailbox).toBe('Caixa de Apoio');
    expect(parseImapUrl('imap://u:p@h/INBOX/Apoio').mailbox).toBe('INBOX/Apoio');
    expect(parseImapUrl('imap://u:p@h/INBOX%2FApoio').mailbox).toBe('INBOX/Apoio');
  });

  it('when starttls and tlsRejectUnauthorized are given, then they reach the imapflow options', () => {
    const required = toImapConnectionOptions(parseImapUrl('imap://u:p@h?starttls=required'));
    expect(required).toEqual({ host: 'h', port: 143, secure: false, auth: { user: 'u', pass: 'p' }, doSTARTTLS: true });
    const never = toImapConnectionOptions(parseImapUrl('imap://u:p@h/INBOX?starttls=never'));
    expect(never.doSTARTTLS).toBe(false);
    const auto = toImapConnectionOptions(parseImapUrl('imap://u:p@h'));
    expect(auto).not.toHaveProperty('doSTARTTLS');
    const selfSigned = toImapConnectionOptions(parseImapUrl('imaps://u:p@h?tlsRejectUnauthorized=false'));
    expect(selfSigned).toMatchObject({ secure: true, tls: { rejectUnauthorized: false } });
  });

  it.each([
    ['not a url', 'not a valid URL'],
    ['http://u:p@h/INBOX', 'scheme must be imap'],
    ['imap://h/INBOX', 'user is missing'],
    ['imap://u@h/INBOX', 'password is missing'],
    ['imap://u:p@h:0/INBOX', 'port'],
    ['imap://u:p@h/INBOX?foo=1', 'unknown parameter'],
    ['imap://u:p@h/INBOX?starttls=maybe', 'starttls must be'],
    ['imaps://u:p@h/INBOX?starttls=required', 'already TLS'],
  ])('when given %s, then a ConfigError on IMAP_URL explains it', (url, message) => {
    let error: unknown;
    try {
      parseImapUrl(url);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ key: 'IMAP_URL' });
    expect((error as ConfigError).message).toContain(message);
  });

  it('when the URL is invalid, then the error never repeats the password', () => {
    for (const url of ['imap://u:s3cr3tpw@h:99999/INBOX', 'imap://u:s3cr3tpw@h/%E0%A4%A/x', 'ftp://u:s3cr3tpw@h']) {
      expect(() => parseImapUrl(url)).toThrow(ConfigError);
      try {
        parseImapUrl(url);
      } catch (err) {
        expect(String((err as Error).message)).not.toContain('s3cr3tpw');
      }
    }
  });
});

describe('describeImapEndpoint', () => {
  it('when described for logs, then the password is left out', () => {
    const text = describeImapEndpoint(parseImapUrl('imaps://apoio%40example.pt:secret@mail.example.pt/INBOX'));
    expect(text).toBe('imaps://apoio%40example.pt@mail.example.pt:993/INBOX');
    expect(text).not.toContain('secret');
  });
});

describe('parseMarkHandled', () => {
  it('when given move:FOLDER or flag:KEYWORD, then the mode and target are read', () => {
    expect(parseMarkHandled('move:Triaged')).toEqual({ mode: 'move', folder: 'Triaged' });
    expect(parseMarkHandled('move:Apoio/Tratados')).toEqual({ mode: 'move', folder: 'Apoio/Tratados' });
    expect(parseMarkHandled('flag:$Triaged')).toEqual({ mode: 'flag', keyword: '$Triaged' });
  });

  it.each(['Triaged', 'flag:', 'flag:two words', 'flag:(x)', 'delete:x'])('when given %s, then it is refused', (value) => {
    expect(() => parseMarkHandled(value)).toThrow(ConfigError);
  });
});
