/**
 * How deeply an upstream body may nest. The Event API's deepest answer (a list of users, each with
 * a list of event ids) nests three levels; a body nested far deeper is hostile or broken.
 */
export const MAX_UPSTREAM_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `text` nests objects and arrays at most `maxDepth` deep, in one pass over its characters
 * and no allocation (brackets inside strings do not count). Meant to run before `JSON.parse`: the
 * parse of a deeply nested 1 MiB body (`[[[[…]]]]`) blocks the event loop for hundreds of ms, and
 * whatever walks the result afterwards may overflow the stack.
 */
export function nestsAtMost(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return true;
}

/**
 * Axios's `transformResponse` for upstream bodies: JSON is parsed as axios would (text that is not
 * JSON stays text, for the parsers to refuse), except that a body nested deeper than
 * `MAX_UPSTREAM_JSON_DEPTH` is never parsed: it stays text, which every parser refuses as
 * malformed (502 UPSTREAM_MALFORMED_RESPONSE, a failure for the breaker).
 */
export function parseUpstreamJson(data: unknown): unknown {
  if (typeof data !== 'string' || data === '') return data;
  if (!nestsAtMost(data, MAX_UPSTREAM_JSON_DEPTH)) return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}
