// A head's header fields as they arrived, kept lazily: one latin1 string (the stretch of input the fields were
// read from) and a table of offsets into it. Nothing per field is made while a request is parsed and
// checked; a name or value string exists only once something asks for it (`get`, `raw`). A GET with 8 fields
// would otherwise make 16 strings that most handlers never read.

/** ASCII lower case of one char code (header names are tokens: only A–Z change). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

export class HeadFields {
  /** The text the offsets point into. Between fields it holds the delimiters as they came, except where the
   * head was split across reads (what lies between two fields there is left out); offsets are what count. */
  readonly text: string;
  /** Per field, four offsets into `text`: name start, name end, value start, value end (the value without
   * surrounding whitespace). */
  readonly at: readonly number[];
  private rawCache: string[] | null = null;

  constructor(text: string, at: readonly number[]) {
    this.text = text;
    this.at = at;
  }

  /** Fields from strings (name, value, …): for heads made by hand (tests, inject) and trailers. */
  static fromRaw(raw: readonly string[]): HeadFields {
    let text = '';
    const at: number[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      at.push(text.length, text.length + name.length);
      text += `${name}: `;
      at.push(text.length, text.length + value.length);
      text += `${value}\r\n`;
    }
    const fields = new HeadFields(text, at);
    fields.rawCache = raw.length % 2 === 0 ? (raw as string[]) : null;
    return fields;
  }

  /** How many fields. */
  get count(): number {
    return this.at.length >> 2;
  }

  name(i: number): string {
    return this.text.slice(this.at[4 * i] as number, this.at[4 * i + 1] as number);
  }

  value(i: number): string {
    return this.text.slice(this.at[4 * i + 2] as number, this.at[4 * i + 3] as number);
  }

  /** Field `i`'s name is `name` (compared ignoring ASCII case), without making a string. */
  nameIs(i: number, name: string): boolean {
    const text = this.text;
    const start = this.at[4 * i] as number;
    const length = name.length;
    if ((this.at[4 * i + 1] as number) - start !== length) return false;
    for (let k = 0; k < length; k++) {
      const a = text.charCodeAt(start + k);
      const b = name.charCodeAt(k);
      if (a !== b && lower(a) !== lower(b)) return false;
    }
    return true;
  }

  /** The value of the field named `name` (any case); repeated fields joined with ", " (Cookie with "; "),
   * as node:http does. Undefined when absent. */
  get(name: string): string | undefined {
    let found: string | undefined;
    const n = this.at.length >> 2;
    for (let i = 0; i < n; i++) {
      if (!this.nameIs(i, name)) continue;
      const value = this.value(i);
      found = found === undefined ? value : `${found}${name.length === 6 && this.nameIs(i, 'cookie') ? '; ' : ', '}${value}`;
    }
    return found;
  }

  /** Names and values as received, alternating (made on first use, then kept). */
  raw(): string[] {
    if (this.rawCache === null) {
      const n = this.at.length >> 2;
      const raw = new Array<string>(2 * n);
      for (let i = 0; i < n; i++) {
        raw[2 * i] = this.name(i);
        raw[2 * i + 1] = this.value(i);
      }
      this.rawCache = raw;
    }
    return this.rawCache;
  }
}

export const NO_FIELDS = new HeadFields('', []);
