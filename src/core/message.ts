/**
 * The parsed message as the decision core sees it: plain data, produced by the mime adapter
 * (src/adapters/mime.ts) from raw bytes. Nothing here is read lazily or from I/O.
 */

export interface MailAddress {
  /** Display name as written (decoded), '' when absent. */
  name: string;
  /** Lower-cased address, '' when the header had none. */
  address: string;
}

export interface AttachmentInfo {
  filename: string | null;
  contentType: string;
  size: number;
  /** true for an attached message/rfc822 (a forward as attachment). */
  isMessage: boolean;
}

/** A message carried inside another (message/rfc822 attachment), parsed one level down. */
export interface EmbeddedMessage {
  from: MailAddress | null;
  subject: string;
  date: string | null;
  text: string;
}

export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress[];
  /** ISO 8601, null when missing or unparseable. */
  date: string | null;
  /**
   * Every header, keys lower-cased, values as raw unfolded strings (one entry per occurrence).
   * Used by machine-mail detection (policy §5) and case matching.
   */
  headers: Record<string, string[]>;
  /** Top-level media type, lower-cased (e.g. "multipart/report"). */
  contentType: string;
  /** The `report-type` parameter of a multipart/report, lower-cased, else null. */
  reportType: string | null;
  /** Media types of every part in the tree (lower-cased), for bounce/MDN detection. */
  partTypes: string[];
  /** The body as text: text/plain when present, else HTML converted to text. */
  text: string;
  /** true when `text` was derived from HTML (no text/plain part). */
  textFromHtml: boolean;
  attachments: AttachmentInfo[];
  /** message/rfc822 attachments, parsed (a forward as attachment). */
  embedded: EmbeddedMessage[];
  /** Size of the raw message in bytes. */
  size: number;
  /** Problems met while parsing (never thrown): a message with problems is still decided. */
  problems: string[];
}
