/**
 * TaskRouter expressions: the SQL-like language of TaskQueue `TargetWorkers`, Workflow filter
 * `expression`s and routing-step target `expression`s (https://www.twilio.com/docs/taskrouter/expression-syntax).
 *
 * ```text
 * expression := and ( OR and )*
 * and        := unary ( AND unary )*
 * unary      := NOT unary | '(' expression ')' | comparison
 * comparison := operand ( == | = | != | < | <= | > | >= | IN | NOT IN | HAS | CONTAINS ) operand
 * operand    := string | number | true | false | null | '[' constants ']' | attribute
 * attribute  := [task. | worker.] name ( .name | [index] )*
 * ```
 * Keywords are case-insensitive. Precedence, tightest first: comparison, NOT, AND, OR; so
 * `NOT a == 1 AND b == 2 OR c == 3` is `((NOT (a == 1)) AND (b == 2)) OR (c == 3)`.
 *
 * Lexical choices: `=` is accepted as `==` (Twilio's time-of-day example writes
 * `taskrouter.dayOfWeek = 'Sat'`); `null` is a constant (configurations write `x != null`);
 * strings take '…' or "…" with `\` making the next character literal; numbers are
 * `-?digits(.digits)?(e±digits)?`, leading zeros allowed (`0800`); names are
 * `[A-Za-z_][A-Za-z0-9_]*` and a hyphen is refused ("hyphens are not supported", says Twilio);
 * list elements are constants only. `task.`/`worker.` prefixes are lower-case; any other head
 * (including `taskrouter.`, not modelled yet) is a bare name. Worker fields that TaskRouter lets
 * targets read (`sid`, `friendly_name`, `activity_sid`, `activity_name`) are for the caller to
 * put into the worker document.
 *
 * Semantics (TaskRouter's documented rules, and our decisions where the documentation is silent):
 * - A missing attribute resolves to `null`, like TaskRouter's "resolves to NULL". It never errors.
 * - `==` and `!=` compare two scalars (string, number, boolean, null) without coercion: `"1" == 1`
 *   is false and `"1" != 1` is true. `null == null` is true, so `missing == null` matches and
 *   `missing != "x"` matches (real configurations rely on `worker.flag != true` matching workers
 *   without the flag).
 * - `<`, `<=`, `>`, `>=` compare two numbers or two strings (by UTF-16 code unit); otherwise false.
 * - `a IN list` / `a NOT IN list`: scalar `a`, array `list`. `NOT IN` is the negation of `IN`
 *   for those shapes, so a missing `a` is NOT IN any list without `null`.
 * - `list HAS a`: array `list` has an element equal to scalar `a`.
 * - `s CONTAINS t`: string `s` contains substring `t` (case-sensitive); on an array `s` it is
 *   element membership, like `HAS`.
 * - Any operator given the wrong shapes (an array where a scalar belongs, an object anywhere, a
 *   non-array on the array side of `IN`/`HAS`) is false, for `!=` and `NOT IN` too: TaskRouter's
 *   "using scalar operators on Arrays results in false".
 */
import { evaluateExpression } from './expressions/evaluate.js';
import { parse } from './expressions/parser.js';
import { print } from './expressions/print.js';
import { refuse } from './errors.js';
import type { Refusal } from './errors.js';

export { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from './expressions/parser.js';

/** A constant in an expression. A missing attribute resolves to `null` too. */
export type Scalar = string | number | boolean | null;

/** Which attributes an attribute reference reads; `default` is the scope the caller chooses. */
export type AttributeScope = 'task' | 'worker' | 'default';

/** A step into a JSON document: an object key, or an array index (`languages[0]`). */
export type PathSegment = string | number;

export type Operand =
  | { readonly kind: 'constant'; readonly value: Scalar }
  | { readonly kind: 'list'; readonly values: readonly Scalar[] }
  | { readonly kind: 'attribute'; readonly scope: AttributeScope; readonly path: readonly PathSegment[] };

export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'NOT IN' | 'HAS' | 'CONTAINS';

/** A parsed expression. Plain data: it can be stored, compared and printed back to source. */
export type Expression =
  | { readonly kind: 'compare'; readonly operator: ComparisonOperator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'not'; readonly operand: Expression }
  | { readonly kind: 'and'; readonly operands: readonly Expression[] }
  | { readonly kind: 'or'; readonly operands: readonly Expression[] };

/** Where and why a source is not an expression. */
export interface ExpressionError {
  /** Says what was expected and where, e.g. "expected a value after '==' at position 14 (found the end of the expression)". */
  readonly message: string;
  /** 0-based offset into the source, in UTF-16 code units; within [0, source.length]. */
  readonly position: number;
}

/** A `Result<Expression>` whose refusal also carries the structured error. */
export type ParseResult =
  | { readonly ok: true; readonly value: Expression }
  | { readonly ok: false; readonly refusal: Refusal; readonly error: ExpressionError };

/** The attributes an expression reads. */
export interface ExpressionScope {
  readonly task?: Readonly<Record<string, unknown>>;
  readonly worker?: Readonly<Record<string, unknown>>;
  /** What bare names (`type == "sales"`) read; `task` unless said otherwise. */
  readonly defaultScope?: 'task' | 'worker';
}

/**
 * Parses TaskRouter expression source. Never throws: anything that is not an expression (or not a
 * string) is an `invalid-parameter` refusal whose message names what was expected and the position.
 */
export function parseExpression(source: string): ParseResult {
  const parsed = parse(source);
  if ('message' in parsed) return { ...refuse('invalid-parameter', parsed.message), error: parsed };
  return { ok: true, value: parsed };
}

/**
 * Whether the attributes in `scope` satisfy `expr`. Total: missing attributes, wrong types and
 * absent scopes make comparisons false (see the module header), never an error. Allocates nothing.
 */
export function evaluate(expr: Expression, scope: ExpressionScope): boolean {
  return evaluateExpression(expr, scope);
}

/**
 * Canonical source for `expr`: upper-case keywords, double-quoted strings, `==` for `=`, and
 * parentheses only where nesting needs them. `parseExpression(printExpression(e))` gives back `e`.
 */
export function printExpression(expr: Expression): string {
  return print(expr);
}

/** Which attribute scopes `expr` reads, with bare names counted as `defaultScope`. */
export function referencedScopes(expr: Expression, defaultScope: 'task' | 'worker' = 'task'): ReadonlySet<'task' | 'worker'> {
  const scopes = new Set<'task' | 'worker'>();
  const visitOperand = (operand: Operand): void => {
    if (operand.kind === 'attribute') scopes.add(operand.scope === 'default' ? defaultScope : operand.scope);
  };
  const visit = (node: Expression): void => {
    if (node.kind === 'compare') {
      visitOperand(node.left);
      visitOperand(node.right);
    } else if (node.kind === 'not') visit(node.operand);
    else node.operands.forEach(visit);
  };
  visit(expr);
  return scopes;
}
