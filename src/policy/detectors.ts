// Finds sensitive values in free text: secrets, emails, IBANs, card numbers, phone numbers, custom patterns.
// Each detector returns spans; the first detector to claim a stretch of text keeps it. Checksums (IBAN mod-97,
// card Luhn) and "barriers" (dates, times, amounts, invoice and order numbers) keep false positives down, because
// a redacted invoice number or due date makes a draft useless.

export interface Span {
  start: number;
  end: number;
  kind: string;
  /** The sensitive value itself (for a `password=…` assignment, only the part after `=`). */
  value: string;
}

export interface DetectOptions {
  emails: boolean;
  phones: boolean;
  ibans: boolean;
  cards: boolean;
  secrets: boolean;
  custom: { name: string; re: RegExp }[];
}

/** Claimed stretches of text, kept sorted; a new span is accepted only where nothing was claimed. */
class Claims {
  readonly spans: Span[] = [];
  free(start: number, end: number): boolean {
    return this.spans.every((s) => end <= s.start || start >= s.end);
  }
  add(span: Span): boolean {
    if (span.end <= span.start || !this.free(span.start, span.end)) return false;
    this.spans.push(span);
    return true;
  }
}

const PLACEHOLDER_LIKE = /^\[[A-Z][A-Z0-9_]*_\d+\]$/;

// ---- secrets ------------------------------------------------------------------------------------------------

const SECRET_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/g,
  /\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, // OpenAI, Anthropic
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g, // Stripe
  /\bwhsec_[A-Za-z0-9+/=]{16,}/g,
  /\bxox[abposre]-[A-Za-z0-9-]{10,}/g, // Slack bot/user tokens
  /\bxapp-\d-[A-Za-z0-9-]{10,}/g, // Slack app tokens
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{40,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/g, // AWS access key ids
  /\bAIza[0-9A-Za-z_-]{35}/g, // Google
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
  /\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b/g, // Telegram bot tokens
  /\bhf_[A-Za-z0-9]{30,}/g, // Hugging Face
];

/** Value-only secrets: keep the label ("Bearer ", "password=") readable, mask what follows. */
const SECRET_VALUE_PATTERNS: { re: RegExp; group: number }[] = [
  { re: /\b(Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{12,})/g, group: 2 },
  {
    re: /\b((?:[a-z]+[_-])?(?:password|passwd|passwort|pwd|pass|secret|api[_-]?key|apikey|access[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|private[_-]?key|client[_-]?secret)["']?\s*[:=]\s*)("[^"\n]{1,200}"|'[^'\n]{1,200}'|[^\s"',;]{1,200})/gi,
    group: 2,
  },
  { re: /\b((?:my\s+)?(?:password|passwort|pin|passcode)\s+(?:is|ist|was)\s*:?\s+)([^\s,;]{3,100})/gi, group: 2 },
  { re: /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]{1,200})(?=@)/gi, group: 2 }, // credentials in URLs
];

function shannon(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A long token mixing upper case, lower case and digits with high entropy: probably a key nobody labelled. */
function looksLikeSecret(token: string): boolean {
  if (token.length < 20 || UUID.test(token)) return false;
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || (token.match(/\d/g)?.length ?? 0) < 2) return false;
  return shannon(token) >= (token.length >= 32 ? 3.7 : 3.9);
}

function detectSecrets(text: string, claims: Claims): void {
  for (const re of SECRET_PATTERNS) {
    for (const m of text.matchAll(re))
      claims.add({ start: m.index, end: m.index + m[0].length, kind: 'secret', value: m[0] });
  }
  for (const { re, group } of SECRET_VALUE_PATTERNS) {
    for (const m of text.matchAll(re)) {
      let value = m[group] ?? '';
      let start = m.index + m[0].length - value.length;
      if (/^["']/.test(value) && value.length >= 2) {
        value = value.slice(1, -1);
        start += 1;
      }
      if (value.length === 0 || PLACEHOLDER_LIKE.test(value) || /^\*+$|^x+$|^<.*>$|^\$\{.*\}$/i.test(value)) continue;
      claims.add({ start, end: start + value.length, kind: 'secret', value });
    }
  }
}

function detectHighEntropy(text: string, claims: Claims): void {
  for (const m of text.matchAll(/(?<![\w/+=.-])[A-Za-z0-9_+/=-]{20,}(?![\w/+=-])/g)) {
    if (looksLikeSecret(m[0])) claims.add({ start: m.index, end: m.index + m[0].length, kind: 'secret', value: m[0] });
  }
}

// ---- emails ---------------------------------------------------------------------------------------------------

const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g;

function detectEmails(text: string, claims: Claims): void {
  for (const m of text.matchAll(EMAIL))
    claims.add({ start: m.index, end: m.index + m[0].length, kind: 'email', value: m[0] });
}

// ---- IBANs ----------------------------------------------------------------------------------------------------

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** ISO 13616 check: move the first four characters to the end, letters to numbers, remainder mod 97 must be 1. */
export function ibanValid(compact: string): boolean {
  const iban = compact.toUpperCase();
  const length = IBAN_LENGTHS[iban.slice(0, 2)];
  if (length === undefined || iban.length !== length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  let rest = 0;
  for (const c of iban.slice(4) + iban.slice(0, 4)) {
    const n = c >= 'A' ? c.charCodeAt(0) - 55 : Number(c);
    rest = n >= 10 ? (rest * 100 + n) % 97 : (rest * 10 + n) % 97;
  }
  return rest === 1;
}

function detectIbans(text: string, claims: Claims): void {
  for (const m of text.matchAll(/(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}/g)) {
    const length = IBAN_LENGTHS[m[0].slice(0, 2).toUpperCase()];
    if (length === undefined) continue;
    // Walk forward collecting `length` letters/digits, allowing one space or dash between them.
    let i = m.index;
    let compact = '';
    while (i < text.length && compact.length < length) {
      const c = text[i] ?? '';
      if (/[A-Za-z0-9]/.test(c)) compact += c;
      else if (!((c === ' ' || c === '-') && /[A-Za-z0-9]/.test(text[i + 1] ?? '') && compact.length >= 4)) break;
      i++;
    }
    if (compact.length !== length || /[A-Za-z0-9]/.test(text[i] ?? '')) continue;
    if (ibanValid(compact)) claims.add({ start: m.index, end: i, kind: 'iban', value: compact.toUpperCase() });
  }
}

// ---- card numbers ---------------------------------------------------------------------------------------------

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the card networks people actually paste: Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro. */
const CARD_PREFIX =
  /^(4|5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(0[0-5]|[689])|6(011|5|4[4-9]|2)|5[06-9]|35(2[89]|[3-8]\d))/;

function cardShaped(candidate: string): string | undefined {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19 || !CARD_PREFIX.test(digits) || !luhnValid(digits)) return undefined;
  const seps = candidate.match(/[ -]/g) ?? [];
  if (seps.length > 0) {
    if (new Set(seps).size > 1) return undefined;
    const groups = candidate.split(/[ -]/).map((g) => g.length);
    const last = groups[groups.length - 1] ?? 0;
    const fours = groups.slice(0, -1).every((g) => g === 4) && last >= 1 && last <= 4;
    const amex = groups.length === 3 && groups[0] === 4 && groups[1] === 6 && (last === 4 || last === 5);
    if (!fours && !amex) return undefined;
  }
  return digits;
}

function detectCards(text: string, claims: Claims): void {
  for (const m of text.matchAll(/(?<![\w+./,-])(?<![A-Za-z]{2}\d{2}[ -])\d(?:[ -]?\d){12,22}(?![\w]|[.,]\d)/g)) {
    // Not right after "DE89 " (a mistyped IBAN). Try the whole run, then without trailing groups.
    let candidate = m[0];
    while (candidate.replace(/\D/g, '').length >= 13) {
      const digits = cardShaped(candidate);
      if (digits) {
        claims.add({ start: m.index, end: m.index + candidate.length, kind: 'card', value: digits });
        break;
      }
      const cut = Math.max(candidate.lastIndexOf(' '), candidate.lastIndexOf('-'));
      if (cut <= 0) break;
      candidate = candidate.slice(0, cut);
    }
  }
}

// ---- phone numbers --------------------------------------------------------------------------------------------

/** Things that look numeric but are not phone numbers: dates, times, amounts, versions, document numbers. */
const BARRIERS: RegExp[] = [
  /\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\b/g,
  /\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b/g,
  /\b\d{1,2}:\d{2}(?::\d{2})?\b/g,
  /[€$£]\s?\d[\d.,' ]*\d?/g,
  /\b\d[\d.,' ]*\s?(?:EUR|USD|GBP|CHF|JPY|SEK|NOK|DKK|PLN|CZK|€|\$|£|euros?|dollars?|francs?)(?![A-Za-z])/gi,
  /\b\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,2})?\b/g,
  /\b\d+[.,]\d{1,2}\b(?![.,]?\d)/g,
  /\bv?\d+(?:\.\d+){2,}\b/g,
  /\b[A-Za-z]{1,12}[-_#/]?\d+(?:[-_/]\d+)*\b/g, // INV-2026-0042, ORD12345, PO/2026/17
  /#\d+/g,
  /\b\d+\s?%/g,
];

const PHONE_CUE =
  /(?:tel|phone|call|mobile|mob|cell|fax|whatsapp|telefon|handy|sms)\b[.:]?\s*(?:me\s+)?(?:at|on|under|:)?\s*\(?$/i;

function phoneValid(c: string, before: string): boolean {
  if (
    /[ .\-/]{2,}/.test(c) ||
    (c.match(/\(/g)?.length ?? 0) !== (c.match(/\)/g)?.length ?? 0) ||
    (c.match(/\(/g)?.length ?? 0) > 1
  )
    return false;
  const digits = c.replace(/\D/g, '');
  if (c.startsWith('+')) return digits.length >= 8 && digits.length <= 15;
  if (c.startsWith('00')) return digits.length >= 10 && digits.length <= 15 && /[ ./-]/.test(c);
  const cued = PHONE_CUE.test(before);
  if (cued && digits.length >= 7 && digits.length <= 15) return true;
  const seps = c.replace(/^\(\d+\)\s?/, '').match(/[ .\-/]/g) ?? [];
  const consistent = new Set(seps.slice(1)).size <= 1;
  if (/^\(\d{3}\) ?\d{3}[-. ]\d{4}$/.test(c)) return true; // (555) 123-4567
  if (/^[2-9]\d{2}([-. ])\d{3}\1\d{4}$/.test(c)) return true; // 555-123-4567
  if (/^\(?0[1-9]/.test(c)) {
    // National format (030 1234567, 0151 23456789, 020 7946 0958): one kind of separator after the area code.
    if (!consistent) return false;
    return digits.length <= 12 && digits.length >= (/[ ./()-]/.test(c) ? 9 : 10);
  }
  return false;
}

function detectPhones(text: string, claims: Claims): void {
  // A shadow of the text where barriers and claimed spans are blanked out, so no phone can overlap them.
  const shadow = text.split('');
  const blank = (start: number, end: number) => {
    for (let i = start; i < end; i++) shadow[i] = '#';
  };
  for (const s of claims.spans) blank(s.start, s.end);
  for (const re of BARRIERS) for (const m of text.matchAll(re)) blank(m.index, m.index + m[0].length);
  const masked = shadow.join('');
  const re = /(?<![\w+#.,/-])(?<!\d[ -])(?:\+|\(\d{2,5}\)|\d)[\d ().\-/]{5,24}\d(?![\w#]|[.,]\d)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(masked)) !== null) {
    const start = m.index;
    let candidate = m[0];
    let accepted = false;
    while (candidate.replace(/\D/g, '').length >= 7) {
      if (phoneValid(candidate, text.slice(Math.max(0, start - 24), start))) {
        claims.add({
          start,
          end: start + candidate.length,
          kind: 'phone',
          value: text.slice(start, start + candidate.length),
        });
        re.lastIndex = start + candidate.length;
        accepted = true;
        break;
      }
      const cut = Math.max(
        candidate.lastIndexOf(' '),
        candidate.lastIndexOf('-'),
        candidate.lastIndexOf('.'),
        candidate.lastIndexOf('/'),
      );
      if (cut <= 0) break;
      candidate = candidate.slice(0, cut).replace(/[ .\-/(]+$/, '');
    }
    if (!accepted) re.lastIndex = start + 1;
  }
}

// ---- all together ---------------------------------------------------------------------------------------------

function detectCustom(text: string, claims: Claims, custom: DetectOptions['custom']): void {
  for (const { name, re } of custom) {
    const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
    for (const m of text.matchAll(global)) {
      if (m[0].length > 0) claims.add({ start: m.index, end: m.index + m[0].length, kind: name, value: m[0] });
    }
  }
}

/** Every sensitive span in `text`, sorted by position, none overlapping. */
export function detect(text: string, options: DetectOptions): Span[] {
  const claims = new Claims();
  if (options.secrets) detectSecrets(text, claims);
  detectCustom(text, claims, options.custom);
  if (options.emails) detectEmails(text, claims);
  if (options.ibans) detectIbans(text, claims);
  if (options.cards) detectCards(text, claims);
  if (options.phones) detectPhones(text, claims);
  if (options.secrets) detectHighEntropy(text, claims);
  return claims.spans.sort((a, b) => a.start - b.start);
}
