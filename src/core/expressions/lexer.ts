/**
 * Splits expression source into tokens, each with its start offset and source text so that the
 * parser can say where and what it found. An attribute path (`worker.skills.level`,
 * `object.array[2]`) is one token: no whitespace inside it, as in TaskRouter.
 */
import type { AttributeScope, ExpressionError, PathSegment } from '../expressions.js';

export type Keyword = 'and' | 'or' | 'not' | 'in' | 'has' | 'contains' | 'true' | 'false' | 'null';
export type SymbolOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Punctuation = '(' | ')' | '[' | ']' | ',';

interface At {
  readonly start: number;
  readonly text: string;
}
export type Token =
  | (At & { readonly kind: 'string'; readonly value: string })
  | (At & { readonly kind: 'number'; readonly value: number })
  | (At & { readonly kind: 'attribute'; readonly scope: AttributeScope; readonly path: readonly PathSegment[] })
  | (At & { readonly kind: 'keyword'; readonly keyword: Keyword })
  | (At & { readonly kind: 'operator'; readonly operator: SymbolOperator })
  | (At & { readonly kind: 'punctuation'; readonly char: Punctuation })
  | (At & { readonly kind: 'end' });

const KEYWORDS: ReadonlySet<string> = new Set<Keyword>(['and', 'or', 'not', 'in', 'has', 'contains', 'true', 'false', 'null']);
const OPERATORS: Readonly<Record<string, SymbolOperator>> = { '==': '==', '=': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
/** Operators people bring from other languages, and what to write instead. */
const OPERATOR_HINTS: Readonly<Record<string, string>> = {
  '===': 'use ==',
  '!==': 'use !=',
  '<>': 'use !=',
  '!': 'use NOT, or != to compare',
  '&&': 'use AND',
  '&': 'use AND',
  '||': 'use OR',
  '|': 'use OR',
  '=<': 'use <=',
  '=>': 'use >=',
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isNameStart = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isNamePart = (c: string | undefined): boolean => isNameStart(c) || isDigit(c);
const isOperatorChar = (c: string | undefined): boolean => c !== undefined && '=!<>&|'.includes(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** `<what> at position N (<note>)`: the one shape of every message, lexer and parser alike. */
export function fail(position: number, what: string, note?: string): ExpressionError {
  return { message: `${what} at position ${position}${note === undefined ? '' : ` (${note})`}`, position };
}

/** Shows a piece of source in a message: quoted, cut short, whole code points. */
export function quote(text: string): string {
  const points = Array.from(text);
  return points.length > 24 ? `'${points.slice(0, 24).join('')}…'` : `'${text}'`;
}

type Lexed<T extends Token = Token> = { readonly token: T; readonly next: number } | ExpressionError;

export function tokenize(source: string): Token[] | ExpressionError {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const lexed = lexToken(source, i, c);
    if ('message' in lexed) return lexed;
    tokens.push(lexed.token);
    i = lexed.next;
  }
  tokens.push({ kind: 'end', start: source.length, text: '' });
  return tokens;
}

function lexToken(source: string, i: number, c: string): Lexed {
  if (c === '"' || c === "'") return lexString(source, i, c);
  if (isDigit(c) || (c === '-' && isDigit(source[i + 1]))) return lexNumber(source, i);
  if (isNameStart(c)) return lexName(source, i);
  if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',') return { token: { kind: 'punctuation', char: c, start: i, text: c }, next: i + 1 };
  if (isOperatorChar(c)) return lexOperator(source, i);
  if (c === '-') return fail(i, "unexpected '-'", 'hyphens are not supported in TaskRouter expressions; use _ in attribute names');
  if (c === '.' && isDigit(source[i + 1])) return fail(i, "expected a digit before '.'", 'write 0.5, not .5');
  const point = String.fromCodePoint(source.codePointAt(i) ?? 0);
  return fail(i, `unexpected character ${quote(point)}`);
}

/** A quoted string; a backslash makes the next character literal (`'it\'s'`). */
function lexString(source: string, start: number, quoteChar: string): Lexed {
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === quoteChar) return { token: { kind: 'string', value, start, text: source.slice(start, i + 1) }, next: i + 1 };
    if (c === '\\') {
      if (i + 1 >= source.length) break;
      value += source[i + 1];
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
  return fail(start, 'unterminated string', `no closing ${quoteChar}`);
}

/** `-?digits(.digits)?([eE][+-]?digits)?`; leading zeros are allowed (`0800`). */
function lexNumber(source: string, start: number): Lexed {
  let i = start + (source[start] === '-' ? 1 : 0);
  while (isDigit(source[i])) i++;
  if (source[i] === '.') {
    if (!isDigit(source[i + 1])) return fail(i + 1, "expected a digit after '.'");
    i++;
    while (isDigit(source[i])) i++;
  }
  const sign = source[i + 1] === '+' || source[i + 1] === '-' ? 1 : 0;
  if ((source[i] === 'e' || source[i] === 'E') && isDigit(source[i + 1 + sign])) {
    i += 1 + sign;
    while (isDigit(source[i])) i++;
  }
  const text = source.slice(start, i);
  const value = Number(text);
  if (!Number.isFinite(value)) return fail(start, `number ${quote(text)} is out of range`);
  return { token: { kind: 'number', value: value === 0 ? 0 : value, start, text }, next: i };
}

function lexOperator(source: string, start: number): Lexed {
  let i = start;
  while (isOperatorChar(source[i])) i++;
  const text = source.slice(start, i);
  const operator = OPERATORS[text];
  if (operator !== undefined) return { token: { kind: 'operator', operator, start, text }, next: i };
  const hint = OPERATOR_HINTS[text];
  return fail(start, `unknown operator ${quote(text)}`, hint);
}

/** A keyword, or an attribute path; `task.` and `worker.` name the scope. */
function lexName(source: string, start: number): Lexed {
  let i = start;
  while (isNamePart(source[i])) i++;
  const first = source.slice(start, i);
  const lower = first.toLowerCase();
  if (KEYWORDS.has(lower) && source[i] !== '.') {
    return { token: { kind: 'keyword', keyword: lower as Keyword, start, text: first }, next: i };
  }
  const path: PathSegment[] = [first];
  for (;;) {
    if (source[i] === '.') {
      const nameStart = ++i;
      while (isNamePart(source[i])) i++;
      if (i === nameStart) return fail(i, "expected an attribute name after '.'");
      path.push(source.slice(nameStart, i));
    } else if (source[i] === '[') {
      const digitsStart = i + 1;
      let j = digitsStart;
      while (isDigit(source[j])) j++;
      if (j === digitsStart || j - digitsStart > 9 || source[j] !== ']') return fail(i, "expected an array index like [0] after the attribute name");
      path.push(Number(source.slice(digitsStart, j)));
      i = j + 1;
    } else break;
  }
  const text = source.slice(start, i);
  const scoped = (first === 'task' || first === 'worker') && typeof path[1] === 'string';
  return { token: { kind: 'attribute', scope: scoped ? first : 'default', path: scoped ? path.slice(1) : path, start, text }, next: i };
}
