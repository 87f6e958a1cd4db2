/**
 * Evaluates a parsed expression against attribute documents. Routing runs one expression against
 * thousands of workers per task, so this walks the tree directly and allocates nothing: no
 * closures, no copies of lists, no coercions. The semantics are spelled out in ../expressions.ts.
 */
import type { ComparisonOperator, Expression, ExpressionScope, Operand, PathSegment } from '../expressions.js';

export function evaluateExpression(expr: Expression, scope: ExpressionScope): boolean {
  switch (expr.kind) {
    case 'compare':
      return compare(expr.operator, operandValue(expr.left, scope), operandValue(expr.right, scope));
    case 'not':
      return !evaluateExpression(expr.operand, scope);
    case 'and':
      for (let i = 0; i < expr.operands.length; i++) if (!evaluateExpression(expr.operands[i] as Expression, scope)) return false;
      return true;
    case 'or':
      for (let i = 0; i < expr.operands.length; i++) if (evaluateExpression(expr.operands[i] as Expression, scope)) return true;
      return false;
  }
}

function operandValue(operand: Operand, scope: ExpressionScope): unknown {
  switch (operand.kind) {
    case 'constant':
      return operand.value;
    case 'list':
      return operand.values;
    case 'attribute': {
      const name = operand.scope === 'default' ? (scope.defaultScope ?? 'task') : operand.scope;
      return resolve(name === 'task' ? scope.task : scope.worker, operand.path);
    }
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Follows `path` through JSON-shaped data: keys step into objects, indices into arrays; anything
 * else is missing. What a plain object inherits (`constructor`, `toString`, `__proto__`) is
 * missing too. It is a function or `__proto__`, so one read and a type check tell, which is half
 * the cost of asking `hasOwnProperty` first on every step.
 */
function resolve(document: unknown, path: readonly PathSegment[]): unknown {
  let current = document;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as PathSegment;
    if (typeof current !== 'object' || current === null) return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (Array.isArray(current)) return undefined;
      const next = (current as Record<string, unknown>)[segment];
      if (typeof next === 'function' || (segment === '__proto__' && !hasOwn.call(current, segment))) return undefined;
      current = next;
    }
  }
  return current;
}

/** A value `==` can compare: a string, number, boolean, or null/missing. */
function isScalar(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/** Scalars are equal when strictly equal, with missing and null the same. */
function same(left: unknown, right: unknown): boolean {
  return (left ?? null) === (right ?? null);
}

/** Membership by `same`; JSON arrays hold no `undefined`, so the native search agrees with it. */
function includes(list: readonly unknown[], value: unknown): boolean {
  return list.includes(value ?? null);
}

function ordered(operator: '<' | '<=' | '>' | '>=', left: unknown, right: unknown): boolean {
  const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
  if (!comparable) return false;
  const l = left as number | string;
  const r = right as number | string;
  switch (operator) {
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
  }
}

function compare(operator: ComparisonOperator, left: unknown, right: unknown): boolean {
  switch (operator) {
    case '==':
      return isScalar(left) && isScalar(right) && same(left, right);
    case '!=':
      return isScalar(left) && isScalar(right) && !same(left, right);
    case 'IN':
      return Array.isArray(right) && isScalar(left) && includes(right, left);
    case 'NOT IN':
      return Array.isArray(right) && isScalar(left) && !includes(right, left);
    case 'HAS':
      return Array.isArray(left) && isScalar(right) && includes(left, right);
    case 'CONTAINS':
      if (typeof left === 'string') return typeof right === 'string' && left.includes(right);
      return Array.isArray(left) && isScalar(right) && includes(left, right);
    default:
      return ordered(operator, left, right);
  }
}
