/**
 * The `Prefer` request header (RFC 7240): what a client would like, never what it demands. A
 * preference the gateway does not know, or cannot read, is ignored, never an error (section 2).
 *
 * ```
 * Prefer     = 1#preference
 * preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
 * parameter  = token [ BWS "=" BWS word ]
 * word       = token / quoted-string
 * ```
 */

/** One preference: its name in lower case, its value (unquoted; `undefined` when empty or absent). */
export interface Preference {
  readonly name: string;
  readonly value?: string;
  /** Its parameters, names in lower case. */
  readonly parameters: ReadonlyMap<string, string | undefined>;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const QDTEXT = /[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]/;
const QUOTED_PAIR_CHAR = /[\t \x21-\x7e\x80-\xff]/;

/** A reader over one header value; every method returns `undefined` where the syntax breaks. */
class Reader {
  /** Where the reader stands; set it back to read again from a mark. */
  at = 0;

  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.at];
  }

  skipWhitespace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.at += 1;
  }

  accept(char: string): boolean {
    if (this.peek() !== char) return false;
    this.at += 1;
    return true;
  }

  token(): string | undefined {
    const start = this.at;
    while (!this.done && TCHAR.test(this.text[this.at])) this.at += 1;
    return this.at > start ? this.text.slice(start, this.at) : undefined;
  }

  /** A token or a quoted-string (its content, unescaped). */
  word(): string | undefined {
    if (!this.accept('"')) return this.token();
    let value = '';
    for (;;) {
      const char = this.peek();
      if (char === undefined) return undefined;
      this.at += 1;
      if (char === '"') return value;
      if (char === '\\') {
        const escaped = this.peek();
        if (escaped === undefined || !QUOTED_PAIR_CHAR.test(escaped)) return undefined;
        this.at += 1;
        value += escaped;
      } else if (QDTEXT.test(char)) {
        value += char;
      } else {
        return undefined;
      }
    }
  }

  /** `token [ BWS "=" BWS word ]`, the name in lower case; an empty value is no value. */
  pair(): { name: string; value?: string } | undefined {
    const name = this.token();
    if (name === undefined) return undefined;
    this.skipWhitespace();
    if (!this.accept('=')) return { name: name.toLowerCase() };
    this.skipWhitespace();
    const value = this.word();
    if (value === undefined) return undefined;
    return { name: name.toLowerCase(), ...(value === '' ? {} : { value }) };
  }

  /** Moves past the next comma outside a quoted-string (or to the end): where the next preference starts. */
  skipToNextElement(): void {
    let quoted = false;
    while (!this.done) {
      const char = this.text[this.at];
      this.at += 1;
      if (quoted && char === '\\') this.at += 1;
      else if (char === '"') quoted = !quoted;
      else if (!quoted && char === ',') return;
    }
  }
}

/** One preference from where `reader` stands, up to the comma after it; `undefined` if malformed. */
function readPreference(reader: Reader): Preference | undefined {
  reader.skipWhitespace();
  const head = reader.pair();
  if (head === undefined) return undefined;
  const parameters = new Map<string, string | undefined>();
  for (;;) {
    reader.skipWhitespace();
    if (reader.done || reader.peek() === ',') break;
    if (!reader.accept(';')) return undefined;
    reader.skipWhitespace();
    if (reader.done || reader.peek() === ',' || reader.peek() === ';') continue; // `;` with no parameter
    const parameter = reader.pair();
    if (parameter === undefined) return undefined;
    if (!parameters.has(parameter.name)) parameters.set(parameter.name, parameter.value);
  }
  return { ...head, parameters };
}

/**
 * Every preference of a `Prefer` header (its field lines joined, or as an array), by name. A
 * preference given more than once counts the first time only (RFC 7240 section 2); a malformed
 * one is left out and the others are still read.
 */
export function parsePrefer(
  header: string | readonly string[] | undefined,
): Map<string, Preference> {
  const preferences = new Map<string, Preference>();
  const lines = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  for (const line of lines) {
    const reader = new Reader(line);
    while (!reader.done) {
      const start = reader.at;
      const preference = readPreference(reader);
      if (preference === undefined)
        reader.at = start; // skip it whole, quotes and all
      else if (!preferences.has(preference.name)) preferences.set(preference.name, preference);
      reader.skipToNextElement();
    }
  }
  return preferences;
}

/** How a request prefers failures handled (RFC 7240 section 4.4). */
export type Handling = 'strict' | 'lenient';

/**
 * `lenient` for `Prefer: handling=lenient` (the value in any case, quoted or not); `strict`
 * otherwise: asked for, absent, unreadable, or any other value.
 */
export function preferredHandling(header: string | readonly string[] | undefined): Handling {
  const value = parsePrefer(header).get('handling')?.value;
  return value?.toLowerCase() === 'lenient' ? 'lenient' : 'strict';
}
