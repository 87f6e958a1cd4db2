/**
 * Prints an expression back to canonical source. Parenthesises exactly the AND/OR nodes nested in
 * another node, which is where the parser would otherwise merge or regroup them; so parsing the
 * output rebuilds the same tree.
 */
import type { Expression, Operand, PathSegment, Scalar } from '../expressions.js';

export function print(expr: Expression): string {
  switch (expr.kind) {
    case 'compare':
      return `${printOperand(expr.left)} ${expr.operator} ${printOperand(expr.right)}`;
    case 'not':
      return `NOT ${nested(expr.operand)}`;
    case 'and':
      return expr.operands.map(nested).join(' AND ');
    case 'or':
      return expr.operands.map(nested).join(' OR ');
  }
}

function nested(expr: Expression): string {
  return expr.kind === 'and' || expr.kind === 'or' ? `(${print(expr)})` : print(expr);
}

function printOperand(operand: Operand): string {
  switch (operand.kind) {
    case 'constant':
      return printScalar(operand.value);
    case 'list':
      return `[${operand.values.map(printScalar).join(', ')}]`;
    case 'attribute': {
      const prefix = operand.scope === 'default' ? '' : `${operand.scope}.`;
      return prefix + operand.path.map(printSegment).join('');
    }
  }
}

function printSegment(segment: PathSegment, index: number): string {
  if (typeof segment === 'number') return `[${segment}]`;
  return index === 0 ? segment : `.${segment}`;
}

function printScalar(value: Scalar): string {
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return String(value);
}
