/**
 * Recursive descent over the tokens (grammar in ../expressions.ts). Every failure is a value
 * carrying the offset of the token where something else was expected; nothing here throws.
 * `AND`/`OR` chains at one level become one n-ary node, so long chains stay shallow; a
 * parenthesised group stays its own node, so printing and re-parsing gives the same tree.
 */
import type { ComparisonOperator, Expression, ExpressionError, Operand, Scalar } from '../expressions.js';
import { fail, quote, tokenize } from './lexer.js';
import type { Token } from './lexer.js';

interface State {
  readonly tokens: readonly Token[];
  index: number;
  depth: number;
}

type Parsed<T> = T | ExpressionError;
const isError = (value: object): value is ExpressionError => 'message' in value;

/** Longer sources are refused before lexing. */
export const MAX_EXPRESSION_LENGTH = 4096;
/** How deep NOTs and parentheses may nest; keeps parsing and evaluation far from the stack limit. */
export const MAX_EXPRESSION_DEPTH = 64;

const COMPARISON_OPERATORS = '==, !=, <, <=, >, >=, IN, NOT IN, HAS or CONTAINS';

export function parse(source: unknown): Expression | ExpressionError {
  if (typeof source !== 'string') return fail(0, 'expected the expression as a string');
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return fail(MAX_EXPRESSION_LENGTH, `expected at most ${MAX_EXPRESSION_LENGTH} characters`, `the expression has ${source.length}`);
  }
  const tokens = tokenize(source);
  if (isError(tokens)) return tokens;
  if (tokens[0]?.kind === 'end') return fail(0, 'expected an expression', 'it is empty');
  const state: State = { tokens, index: 0, depth: 0 };
  const expr = parseOr(state);
  if (isError(expr)) return expr;
  const rest = peek(state);
  if (rest.kind === 'end') return expr;
  if (rest.kind === 'punctuation' && rest.char === ')') return fail(rest.start, "unexpected ')'", "no '(' to close");
  return failFound(rest, 'expected AND, OR or the end of the expression');
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : quote(token.text);
}

function failFound(token: Token, expected: string): ExpressionError {
  return fail(token.start, expected, `found ${describe(token)}`);
}

function peek(state: State): Token {
  return state.tokens[state.index] ?? (state.tokens[state.tokens.length - 1] as Token);
}

function take(state: State): Token {
  const token = peek(state);
  if (token.kind !== 'end') state.index++;
  return token;
}

function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'keyword' && token.keyword === keyword;
}

function isPunctuation(token: Token, char: string): boolean {
  return token.kind === 'punctuation' && token.char === char;
}

/** Whether a condition can begin at `token`: where it cannot, say so before descending. */
function startsCondition(token: Token): boolean {
  switch (token.kind) {
    case 'string':
    case 'number':
    case 'attribute':
      return true;
    case 'keyword':
      return token.keyword === 'not' || keywordConstant(token.keyword) !== undefined;
    case 'punctuation':
      return token.char === '(' || token.char === '[';
    default:
      return false;
  }
}

function parseOr(state: State): Parsed<Expression> {
  return parseChain(state, 'or', parseAnd);
}

function parseAnd(state: State): Parsed<Expression> {
  return parseChain(state, 'and', parseUnary);
}

function parseChain(state: State, keyword: 'and' | 'or', parseOperand: (state: State) => Parsed<Expression>): Parsed<Expression> {
  const first = parseOperand(state);
  if (isError(first)) return first;
  const operands: Expression[] = [first];
  while (isKeyword(peek(state), keyword)) {
    const operator = take(state);
    if (!startsCondition(peek(state))) return failFound(peek(state), `expected a condition after ${quote(operator.text)}`);
    const next = parseOperand(state);
    if (isError(next)) return next;
    operands.push(next);
  }
  return operands.length === 1 ? first : { kind: keyword, operands };
}

function parseUnary(state: State): Parsed<Expression> {
  const token = peek(state);
  const nests = isKeyword(token, 'not') || isPunctuation(token, '(');
  if (!nests) return parseComparison(state);
  if (state.depth >= MAX_EXPRESSION_DEPTH) return fail(token.start, `expected at most ${MAX_EXPRESSION_DEPTH} levels of nesting`, 'NOTs and parentheses nest');
  state.depth++;
  const result = isKeyword(token, 'not') ? parseNot(state) : parseGroup(state);
  state.depth--;
  return result;
}

function parseNot(state: State): Parsed<Expression> {
  const not = take(state);
  if (!startsCondition(peek(state))) return failFound(peek(state), `expected a condition after ${quote(not.text)}`);
  const operand = parseUnary(state);
  return isError(operand) ? operand : { kind: 'not', operand };
}

function parseGroup(state: State): Parsed<Expression> {
  const open = take(state);
  if (!startsCondition(peek(state))) return failFound(peek(state), "expected a condition after '('");
  const inner = parseOr(state);
  if (isError(inner)) return inner;
  const close = peek(state);
  if (isPunctuation(close, ')')) {
    take(state);
    return inner;
  }
  return fail(close.start, "expected AND, OR or ')'", `to close the '(' at position ${open.start}; found ${describe(close)}`);
}

function parseComparison(state: State): Parsed<Expression> {
  const leftStart = state.index;
  const left = parseOperand(state, "expected a condition (a comparison, NOT or '(')");
  if (isError(left)) return left;
  const leftText = state.tokens.slice(leftStart, state.index).map((token) => token.text).join('');
  const operator = parseOperator(state, leftText);
  if (isError(operator)) return operator;
  const right = parseOperand(state, `expected a value after ${quote(operator.text)}`);
  if (isError(right)) return right;
  return { kind: 'compare', operator: operator.operator, left, right };
}

function parseOperator(state: State, leftText: string): Parsed<{ operator: ComparisonOperator; text: string }> {
  const token = take(state);
  if (token.kind === 'operator') return { operator: token.operator, text: token.text };
  if (token.kind === 'keyword') {
    if (token.keyword === 'in') return { operator: 'IN', text: token.text };
    if (token.keyword === 'has') return { operator: 'HAS', text: token.text };
    if (token.keyword === 'contains') return { operator: 'CONTAINS', text: token.text };
    if (token.keyword === 'not') {
      const next = take(state);
      if (isKeyword(next, 'in')) return { operator: 'NOT IN', text: `${token.text} ${next.text}` };
      return failFound(next, `expected IN after ${quote(token.text)}`);
    }
  }
  return failFound(token, `expected a comparison operator (${COMPARISON_OPERATORS}) after ${quote(leftText)}`);
}

function parseOperand(state: State, expected: string): Parsed<Operand> {
  const token = take(state);
  switch (token.kind) {
    case 'string':
    case 'number':
      return { kind: 'constant', value: token.value };
    case 'attribute':
      return { kind: 'attribute', scope: token.scope, path: token.path };
    case 'keyword': {
      const constant = keywordConstant(token.keyword);
      if (constant !== undefined) return { kind: 'constant', value: constant };
      break;
    }
    case 'punctuation':
      if (token.char === '[') return parseList(state);
      break;
  }
  return failFound(token, expected);
}

function keywordConstant(keyword: string): Scalar | undefined {
  if (keyword === 'true') return true;
  if (keyword === 'false') return false;
  return keyword === 'null' ? null : undefined;
}

/** `[` has been taken. Lists hold constants only, so evaluation never builds one. */
function parseList(state: State): Parsed<Operand> {
  const values: Scalar[] = [];
  if (isPunctuation(peek(state), ']')) {
    take(state);
    return { kind: 'list', values };
  }
  for (;;) {
    const token = take(state);
    const value = token.kind === 'string' || token.kind === 'number' ? token.value : token.kind === 'keyword' ? keywordConstant(token.keyword) : undefined;
    if (value === undefined) return failFound(token, 'expected a string, number, true, false or null in the list');
    values.push(value);
    const separator = take(state);
    if (isPunctuation(separator, ']')) return { kind: 'list', values };
    if (!isPunctuation(separator, ',')) return failFound(separator, "expected ',' or ']' in the list");
  }
}
