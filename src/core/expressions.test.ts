/**
 * TaskRouter expressions: tables of sources with the answer TaskRouter's documentation (or our
 * recorded decision, see the header of expressions.ts) demands, a table of malformed sources with
 * the exact message and position, then properties over generated trees and arbitrary text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  evaluate,
  parseExpression,
  printExpression,
  referencedScopes,
} from './expressions.js';
import type { ComparisonOperator, Expression, ExpressionScope, Operand, Scalar } from './expressions.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const WORKER = {
  skills: ['support', 'sales'],
  languages: ['en', 'fr'],
  level: 5,
  rating: 4.5,
  name: 'Alice Smith',
  senior: true,
  trainee: false,
  manager: null,
  code: '5',
  scores: [1, 2, 3],
  team: { name: 'blue', skills: { level: 3 }, regions: ['emea'] },
  channels: [{ name: 'voice', capacity: 1 }],
};
const TASK = {
  type: 'sales',
  language: 'fr',
  priority: 10,
  customer: { tier: 'gold', name: 'ACME support desk' },
  required_skill: 'support',
  skill_rating: 6,
};
const BOTH: ExpressionScope = { task: TASK, worker: WORKER };

function parsed(source: string): Expression {
  const result = parseExpression(source);
  if (!result.ok) throw new Error(`${source}: ${result.refusal.message}`);
  return result.value;
}

const run = (source: string, scope: ExpressionScope = BOTH): boolean => evaluate(parsed(source), scope);

// ---------------------------------------------------------------------------------------------
// Evaluation tables: [source, expected] against BOTH (bare names read the task)
// ---------------------------------------------------------------------------------------------

const tables: Record<string, readonly (readonly [string, boolean])[]> = {
  'equality': [
    ['worker.level == 5', true], ['worker.level == 6', false], ['worker.level == 5.0', true],
    ['worker.name == "Alice Smith"', true], ["worker.name == 'Alice Smith'", true], ['worker.name == "alice smith"', false],
    ['worker.senior == true', true], ['worker.senior == false', false], ['worker.trainee == false', true],
    ['task.language == worker.languages[1]', true], ['1 == 1', true], ['1==1', true], ['0 != 1', true],
    ['"apple" != "orange"', true], ['worker.level != 5', false], ['worker.level != 4', true],
    ['worker.manager == null', true], ['worker.name == null', false], ['worker.name != null', true],
    ['worker.level = 5', true], ['worker.level = 4', false],
  ],
  'ordering': [
    ['worker.level > 4', true], ['worker.level > 5', false], ['worker.level >= 5', true], ['worker.level >= 6', false],
    ['worker.level < 5', false], ['worker.level < 6', true], ['worker.level <= 5', true], ['worker.level <= 4', false],
    ['worker.rating >= 4.5', true], ['worker.level > -1', true], ['-1.5 < 0', true], ['1e3 > 999', true], ['0800 == 800', true],
    ['worker.name < "Bob"', true], ['worker.name > "Bob"', false], ['"b" >= "b"', true],
  ],
  'IN and NOT IN': [
    ['task.language IN ["en", "fr"]', true], ['task.language IN ["en", "es"]', false], ['task.language IN worker.languages', true],
    ['task.type IN worker.languages', false], ['worker.level IN [1, 5]', true], ['worker.level IN [1, 6]', false],
    ['task.language NOT IN ["en", "es"]', true], ['task.language NOT IN ["fr"]', false], ['task.language IN []', false],
    ['task.language NOT IN []', true], ['task.language NOT IN worker.languages', false],
  ],
  'HAS': [
    ['worker.skills HAS "support"', true], ['worker.skills HAS "billing"', false], ['worker.skills HAS task.required_skill', true],
    ['worker.scores HAS 2', true], ['worker.scores HAS 4', false], ['worker.team.regions HAS "emea"', true], ['["a", 1, true, null] HAS null', true],
  ],
  'CONTAINS': [
    ['task.customer.name CONTAINS "support"', true], ['task.customer.name CONTAINS "Support"', false], ['task.customer.name CONTAINS "help"', false],
    ['worker.name CONTAINS ""', true], ['worker.skills CONTAINS "sales"', true], ['worker.skills CONTAINS "sal"', false],
    ['worker.level CONTAINS 5', false], ['worker.name CONTAINS 5', false],
  ],
  'AND, OR, NOT': [
    ['worker.level == 5 AND worker.senior == true', true], ['worker.level == 5 AND worker.senior == false', false],
    ['worker.level == 4 OR worker.senior == true', true], ['worker.level == 4 OR worker.senior == false', false],
    ['NOT worker.level == 4', true], ['NOT NOT worker.level == 4', false], ['NOT (worker.level == 5)', false],
    ['1 == 1 AND 1 == 1 AND 1 == 2', false], ['1 == 2 OR 1 == 2 OR 1 == 1', true],
  ],
  'precedence: comparison, then NOT, then AND, then OR': [
    ['worker.level == 4 AND worker.level == 5 OR worker.senior == true', true],
    ['worker.senior == true OR worker.level == 4 AND worker.level == 6', true],
    ['NOT worker.level == 5 OR worker.senior == true', true],
    ['NOT worker.level == 5 AND worker.senior == false', false],
    ['worker.level == 5 OR worker.senior == false AND worker.level == 4', true],
  ],
  'parentheses': [
    ['(worker.level == 5 OR worker.senior == false) AND worker.level == 4', false],
    ['NOT (worker.level == 5 AND worker.senior == false)', true],
    ['worker.level == 4 AND (worker.level == 5 OR worker.senior == true)', false],
    ['((((worker.level == 5))))', true],
    ['(task.language == "en" OR task.language == "fr") AND task.skill_rating >= 5.1', true],
  ],
  'nested attributes and indices': [
    ['worker.team.skills.level == 3', true], ['worker.team.skills.level > 3', false], ['worker.channels[0].name == "voice"', true],
    ['worker.channels[0].capacity >= 1', true], ['worker.languages[0] == "en"', true], ['worker.languages[2] == null', true],
    ['task.customer.tier IN ["gold", "platinum"]', true],
  ],
  'missing attributes resolve to null': [
    ['worker.missing == "x"', false], ['worker.missing != "x"', true], ['worker.missing == null', true], ['worker.missing != null', false],
    ['worker.missing > 1', false], ['worker.missing <= 1', false], ['worker.missing HAS "x"', false], ['worker.missing CONTAINS "x"', false],
    ['worker.missing IN ["x"]', false], ['worker.missing NOT IN ["x"]', true], ['worker.missing IN ["x", null]', true],
    ['task.language IN worker.missing', false], ['task.language NOT IN worker.missing', false], ['NOT worker.missing == "x"', true],
    ['worker.team.name.first == null', true], ['worker.channels[5].name == null', true], ['worker.name[0] == null', true],
    ['worker.team[0] == null', true], ['worker.languages.length == null', true],
  ],
  'inherited properties are missing, not leaked': [
    ['worker.constructor == null', true], ['worker.toString != null', false], ['worker.__proto__ == null', true],
    ['worker.constructor.name == "Object"', false], ['worker.hasOwnProperty == null', true],
  ],
  'type mismatches: no coercion; wrong shapes are false, != and NOT IN included': [
    ['worker.code == 5', false], ['worker.code != 5', true], ['worker.level == "5"', false], ['worker.level > "4"', false],
    ['worker.code > 4', false], ['worker.senior == "true"', false], ['worker.senior > false', false], ['worker.scores HAS "2"', false],
    ['worker.skills == "support"', false], ['worker.skills != "support"', false], ['worker.team == null', false], ['worker.team != null', false],
    ['worker.level HAS 5', false], ['worker.level IN 5', false], ['worker.level NOT IN 5', false], ['worker.name IN "Alice Smith"', false],
    ['worker.skills IN ["support"]', false], ['worker.skills NOT IN ["x"]', false], ['worker.skills HAS ["support"]', false],
    ['[1] == [1]', false], ['[1] != [2]', false], ['worker.skills > "a"', false],
  ],
  'keywords are case-insensitive': [
    ['worker.skills has "support" and worker.level >= 5', true], ['task.language in worker.languages Or worker.level == 0', true],
    ['not worker.level == 0', true], ['task.language not in ["en"]', true], ['task.language Not In ["fr"]', false],
    ['task.customer.name contains "ACME"', true], ['worker.senior == TRUE', true], ['worker.manager == NULL', true], ['worker.trainee == False', true],
  ],
  'literals': [
    ['"a" == \'a\'', true], [String.raw`'it\'s' == "it's"`, true], [String.raw`"say \"hi\"" CONTAINS '"'`, true],
    [String.raw`'a\\b' CONTAINS "\\"`, true], [String.raw`'a\\b' == "a\b"`, false], ['1.0 == 1', true], ['-0 == 0', true],
    ['2 IN [1, 2]', true], ['true == true', true], ['false != true', true], ['"" == ""', true], ['null == null', true],
    ['"\u00e9t\u00e9 😀" CONTAINS "😀"', true], ['  \n\tworker.level\r\n==\t5  ', true],
  ],
  'bare names read the task by default': [
    ['type == "sales"', true], ['language IN worker.languages', true], ['skills HAS "support"', false], ['customer.tier == "gold"', true],
  ],
};

describe('evaluate', () => {
  for (const [group, rows] of Object.entries(tables)) {
    describe(group, () => {
      it.each(rows)('%s → %s', (source, expected) => {
        expect(run(source)).toBe(expected);
      });
    });
  }

  it('reads bare names from the worker when the caller says so', () => {
    const asWorker: ExpressionScope = { ...BOTH, defaultScope: 'worker' };
    expect(run('(skills HAS "support") AND (languages HAS "en")', asWorker)).toBe(true);
    expect(run('level == 5 AND task.type == "sales"', asWorker)).toBe(true);
    expect(run('type == "sales"', asWorker)).toBe(false);
  });

  it('treats an absent scope as an empty document', () => {
    expect(run('worker.level == 5', { task: TASK })).toBe(false);
    expect(run('worker.level != 5', { task: TASK })).toBe(true);
    expect(run('type == "sales"', { worker: WORKER })).toBe(false);
    expect(run('1 == 1', {})).toBe(true);
  });

  it('matches the documented examples', () => {
    const doc = { string_const: 'foo', object: { array: ['a', 'b', 'c'], attr: 'bar' }, customer_value: 'Gold', type: 'ticket' };
    const scope = { task: doc };
    expect(run('string_const == "foo" AND object.array[2] == "c" AND object.attr == "bar"', scope)).toBe(true);
    expect(run("object.array HAS 'b' AND object.param != \"apple\"", scope)).toBe(true);
    expect(run("customer_value == 'Gold' AND type == 'ticket'", scope)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Trees, printing, scopes
// ---------------------------------------------------------------------------------------------

const attr = (scope: 'task' | 'worker' | 'default', ...path: (string | number)[]): Operand => ({ kind: 'attribute', scope, path });
const constant = (value: Scalar): Operand => ({ kind: 'constant', value });
const cmp = (left: Operand, operator: ComparisonOperator, right: Operand): Expression => ({ kind: 'compare', operator, left, right });
const a1 = cmp(attr('default', 'a'), '==', constant(1));
const b2 = cmp(attr('default', 'b'), '==', constant(2));
const c3 = cmp(attr('default', 'c'), '==', constant(3));

describe('parseExpression', () => {
  it.each<[string, Expression]>([
    ['worker.skills HAS "support"', cmp(attr('worker', 'skills'), 'HAS', constant('support'))],
    ['NOT a == 1 AND b == 2 OR c == 3', { kind: 'or', operands: [{ kind: 'and', operands: [{ kind: 'not', operand: a1 }, b2] }, c3] }],
    ['a == 1 AND (b == 2 AND c == 3)', { kind: 'and', operands: [a1, { kind: 'and', operands: [b2, c3] }] }],
    ['a == 1 or b == 2 OR c == 3', { kind: 'or', operands: [a1, b2, c3] }],
    ['object.array[2] == "c"', cmp(attr('default', 'object', 'array', 2), '==', constant('c'))],
    ['task.customer.tier != worker.tier', cmp(attr('task', 'customer', 'tier'), '!=', attr('worker', 'tier'))],
    ['task == 1', cmp(attr('default', 'task'), '==', constant(1))],
    ['task[0] == 1', cmp(attr('default', 'task', 0), '==', constant(1))],
    ['worker.task.x == 1', cmp(attr('worker', 'task', 'x'), '==', constant(1))],
    ['and.or == 1', cmp(attr('default', 'and', 'or'), '==', constant(1))],
    ['a = 1', a1],
    ['a == -0', cmp(attr('default', 'a'), '==', constant(0))],
    ['a not \n in [1, "x", true, null]', cmp(attr('default', 'a'), 'NOT IN', { kind: 'list', values: [1, 'x', true, null] })],
    ['a IN[]', cmp(attr('default', 'a'), 'IN', { kind: 'list', values: [] })],
  ])('%s', (source, expected) => {
    expect(parsed(source)).toEqual(expected);
  });

  it('refuses with invalid-parameter, the message, and the position as a number', () => {
    expect(parseExpression('worker.level ==')).toEqual({
      ok: false,
      refusal: { code: 'invalid-parameter', message: "expected a value after '==' at position 15 (found the end of the expression)" },
      error: { message: "expected a value after '==' at position 15 (found the end of the expression)", position: 15 },
    });
  });

  it('refuses a source that is not a string', () => {
    const result = parseExpression(42 as unknown as string);
    expect(result.ok ? null : result.error).toEqual({ message: 'expected the expression as a string at position 0', position: 0 });
  });
});

const OPERATOR_LIST = '==, !=, <, <=, >, >=, IN, NOT IN, HAS or CONTAINS';
const END = 'the end of the expression';

describe('syntax errors name what was expected and where', () => {
  it.each<[string, number, string]>([
    ['', 0, 'expected an expression at position 0 (it is empty)'],
    [' \n ', 0, 'expected an expression at position 0 (it is empty)'],
    ['worker.level == )', 16, "expected a value after '==' at position 16 (found ')')"],
    ['a == AND', 5, "expected a value after '==' at position 5 (found 'AND')"],
    ['== 5', 0, "expected a condition (a comparison, NOT or '(') at position 0 (found '==')"],
    ['AND == 1', 0, "expected a condition (a comparison, NOT or '(') at position 0 (found 'AND')"],
    ['worker.level', 12, `expected a comparison operator (${OPERATOR_LIST}) after 'worker.level' at position 12 (found ${END})`],
    ['worker.level 5', 13, `expected a comparison operator (${OPERATOR_LIST}) after 'worker.level' at position 13 (found '5')`],
    ['["a","b"] x', 10, `expected a comparison operator (${OPERATOR_LIST}) after '["a","b"]' at position 10 (found 'x')`],
    ['(a == 1', 7, `expected AND, OR or ')' at position 7 (to close the '(' at position 0; found ${END})`],
    ['((a == 1) b', 10, "expected AND, OR or ')' at position 10 (to close the '(' at position 0; found 'b')"],
    ['a == 1)', 6, "unexpected ')' at position 6 (no '(' to close)"],
    ['a == 1 b == 2', 7, "expected AND, OR or the end of the expression at position 7 (found 'b')"],
    ['a == 1 NOT b == 2', 7, "expected AND, OR or the end of the expression at position 7 (found 'NOT')"],
    ['a == 1 AND', 10, `expected a condition after 'AND' at position 10 (found ${END})`],
    ['a == 1 or )', 10, "expected a condition after 'or' at position 10 (found ')')"],
    ['a == 1 AND AND b == 1', 11, "expected a condition after 'AND' at position 11 (found 'AND')"],
    ['NOT', 3, `expected a condition after 'NOT' at position 3 (found ${END})`],
    ['()', 1, "expected a condition after '(' at position 1 (found ')')"],
    ['a NOT HAS 1', 6, "expected IN after 'NOT' at position 6 (found 'HAS')"],
    ['a === 1', 2, "unknown operator '===' at position 2 (use ==)"],
    ['a == 1 && b == 2', 7, "unknown operator '&&' at position 7 (use AND)"],
    ['a == 1 || b == 2', 7, "unknown operator '||' at position 7 (use OR)"],
    ['!a == 1', 0, "unknown operator '!' at position 0 (use NOT, or != to compare)"],
    ['a <> 1', 2, "unknown operator '<>' at position 2 (use !=)"],
    ['a =< 1', 2, "unknown operator '=<' at position 2 (use <=)"],
    ['a ~ 1', 2, "unexpected character '~' at position 2"],
    ['😀 == 1', 0, "unexpected character '😀' at position 0"],
    ['a == "x" 😀', 9, "unexpected character '😀' at position 9"],
    ['name == "Alice', 8, 'unterminated string at position 8 (no closing ")'],
    ["name == 'Alice", 8, "unterminated string at position 8 (no closing ')"],
    [String.raw`name == "Alice\"`, 8, 'unterminated string at position 8 (no closing ")'],
    ['skill-level == 1', 5, "unexpected '-' at position 5 (hyphens are not supported in TaskRouter expressions; use _ in attribute names)"],
    ['a == .5', 5, "expected a digit before '.' at position 5 (write 0.5, not .5)"],
    ['a == 1.', 7, "expected a digit after '.' at position 7"],
    ['a == 1e999', 5, "number '1e999' is out of range at position 5"],
    ['worker. == 1', 7, "expected an attribute name after '.' at position 7"],
    ['a[x] == 1', 1, 'expected an array index like [0] after the attribute name at position 1'],
    ['a[1 == 1', 1, 'expected an array index like [0] after the attribute name at position 1'],
    ['a IN [1, 2', 10, `expected ',' or ']' in the list at position 10 (found ${END})`],
    ['a IN [1,]', 8, "expected a string, number, true, false or null in the list at position 8 (found ']')"],
    ['a IN [b]', 6, "expected a string, number, true, false or null in the list at position 6 (found 'b')"],
    ['a == "a very long string that is cut short in messages" b', 56, "expected AND, OR or the end of the expression at position 56 (found 'b')"],
    ['a IN x y "a very long string that is cut short in messages"', 7, "expected AND, OR or the end of the expression at position 7 (found 'y')"],
    ['a == 1 AND "a very long string that is cut short"', 49, `expected a comparison operator (${OPERATOR_LIST}) after '"a very long string that…' at position 49 (found ${END})`],
  ])('%j → position %i', (source, position, message) => {
    const result = parseExpression(source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toEqual({ message, position });
    expect(result.refusal).toEqual({ code: 'invalid-parameter', message });
  });
});

describe('guards', () => {
  it(`refuses sources longer than ${MAX_EXPRESSION_LENGTH} characters, and accepts one of exactly that length`, () => {
    const atLimit = `a == "${'x'.repeat(MAX_EXPRESSION_LENGTH - 7)}"`;
    expect(atLimit).toHaveLength(MAX_EXPRESSION_LENGTH);
    expect(parseExpression(atLimit).ok).toBe(true);
    const result = parseExpression(`${atLimit} `);
    expect(result.ok ? null : result.error).toEqual({
      message: `expected at most ${MAX_EXPRESSION_LENGTH} characters at position ${MAX_EXPRESSION_LENGTH} (the expression has ${MAX_EXPRESSION_LENGTH + 1})`,
      position: MAX_EXPRESSION_LENGTH,
    });
  });

  it(`allows ${MAX_EXPRESSION_DEPTH} levels of nesting and refuses one more`, () => {
    const nest = (levels: number): string => `${'('.repeat(levels)}a == 1${')'.repeat(levels)}`;
    expect(parseExpression(nest(MAX_EXPRESSION_DEPTH)).ok).toBe(true);
    const result = parseExpression(nest(MAX_EXPRESSION_DEPTH + 1));
    expect(result.ok ? null : result.error.position).toBe(MAX_EXPRESSION_DEPTH);
    const nots = parseExpression(`${'NOT '.repeat(1000)}a == 1`);
    expect(nots.ok ? null : nots.error).toEqual({
      message: `expected at most ${MAX_EXPRESSION_DEPTH} levels of nesting at position ${4 * MAX_EXPRESSION_DEPTH} (NOTs and parentheses nest)`,
      position: 4 * MAX_EXPRESSION_DEPTH,
    });
  });

  it('keeps a long AND chain flat', () => {
    const source = `${'a == 1 AND '.repeat(370)}a == 1`;
    const expr = parsed(source);
    expect(expr.kind === 'and' && expr.operands.length).toBe(371);
    expect(evaluate(expr, { task: { a: 1 } })).toBe(true);
  });
});

describe('printExpression', () => {
  it.each([
    ["worker.skills has 'support' and not (a = 1 or b != 2)", 'worker.skills HAS "support" AND NOT (a == 1 OR b != 2)'],
    ['a==1 AND (b==2 AND c==3) OR (d==4)', '(a == 1 AND (b == 2 AND c == 3)) OR d == 4'],
    [String.raw`x CONTAINS 'say "hi" \\ bye'`, String.raw`x CONTAINS "say \"hi\" \\ bye"`],
    ['object.array[2] IN [1, -2.5, TRUE, Null, 1e21]', 'object.array[2] IN [1, -2.5, true, null, 1e+21]'],
    ['task.x not in []', 'task.x NOT IN []'],
  ])('%s → %s', (source, printed) => {
    expect(printExpression(parsed(source))).toBe(printed);
  });
});

describe('referencedScopes', () => {
  it.each<[string, 'task' | 'worker', string[]]>([
    ['worker.skills HAS task.skill', 'task', ['task', 'worker']],
    ['type == "sales"', 'task', ['task']],
    ['skills HAS "support"', 'worker', ['worker']],
    ['1 == 1', 'task', []],
    ['NOT (1 == 1 OR worker.x == 2)', 'task', ['worker']],
  ])('%s (bare names: %s)', (source, defaultScope, scopes) => {
    expect([...referencedScopes(parsed(source), defaultScope)].sort()).toEqual(scopes);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const KEYS = ['a', 'b', 'skills', 'level', 'x_1'] as const;
const OPERATORS: readonly ComparisonOperator[] = ['==', '!=', '<', '<=', '>', '>=', 'IN', 'NOT IN', 'HAS', 'CONTAINS'];

// Small domains so that comparisons come out true often enough to matter; a few wild values too.
const stringArb = fc.oneof(
  { arbitrary: fc.constantFrom('', 'a', 'b', 'en', 'fr', 'a"b', "it's", 'x\\y'), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 6 }), weight: 1 },
);
const numberArb = fc
  .oneof({ arbitrary: fc.integer({ min: -2, max: 2 }), weight: 4 }, { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 })
  .map((n) => (n === 0 ? 0 : n));
const scalarArb: fc.Arbitrary<Scalar> = fc.oneof(stringArb, numberArb, fc.boolean(), fc.constant(null));
const pathArb = fc
  .tuple(
    fc.constantFrom(...KEYS),
    fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(fc.oneof(fc.constantFrom(...KEYS), fc.nat({ max: 2 })), { maxLength: 2 }), weight: 1 }),
  )
  .map(([first, rest]) => [first, ...rest]);
const attributeArb: fc.Arbitrary<Operand> = fc.record({
  kind: fc.constant('attribute' as const),
  scope: fc.constantFrom('task' as const, 'worker' as const, 'default' as const),
  path: pathArb,
});
const constantArb: fc.Arbitrary<Operand> = scalarArb.map((value) => ({ kind: 'constant', value }));
const listArb: fc.Arbitrary<Operand> = fc.array(scalarArb, { maxLength: 3 }).map((values) => ({ kind: 'list', values }));
const operandArb = fc.oneof({ arbitrary: attributeArb, weight: 3 }, { arbitrary: constantArb, weight: 2 }, { arbitrary: listArb, weight: 1 });
const compareArb: fc.Arbitrary<Expression> = fc.record({ kind: fc.constant('compare' as const), operator: fc.constantFrom(...OPERATORS), left: operandArb, right: operandArb });

const { expr: exprArb } = fc.letrec<{ expr: Expression; not: Expression; and: Expression; or: Expression }>((tie) => ({
  expr: fc.oneof({ maxDepth: 3, depthIdentifier: 'expr' }, compareArb, tie('not'), tie('and'), tie('or')),
  not: fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }),
  and: fc.record({ kind: fc.constant('and' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
  or: fc.record({ kind: fc.constant('or' as const), operands: fc.array(tie('expr'), { minLength: 2, maxLength: 3 }) }),
}));

const { value: jsonArb } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'json' },
    { arbitrary: scalarArb, weight: 3 },
    { arbitrary: fc.array(scalarArb, { maxLength: 3 }), weight: 2 },
    { arbitrary: fc.array(tie('value'), { maxLength: 3 }), weight: 1 },
    { arbitrary: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 3 }), weight: 1 },
  ),
}));
const documentArb = fc.dictionary(fc.constantFrom(...KEYS), jsonArb, { minKeys: 2, maxKeys: 5 });
const scopeArb: fc.Arbitrary<ExpressionScope> = fc.record({ task: documentArb, worker: documentArb, defaultScope: fc.constantFrom('task' as const, 'worker' as const) });

describe('properties', () => {
  it('printing a tree and parsing it back gives the same tree, which evaluates the same', () => {
    fc.assert(
      fc.property(exprArb, scopeArb, (expr, scope) => {
        const reparsed = parseExpression(printExpression(expr));
        expect(reparsed.ok ? reparsed.value : reparsed.error).toEqual(expr);
        expect(evaluate(reparsed.ok ? reparsed.value : expr, scope)).toBe(evaluate(expr, scope));
      }),
      { numRuns: 300 },
    );
  });

  it('NOT e evaluates to the negation of e', () => {
    fc.assert(
      fc.property(exprArb, scopeArb, (expr, scope) => {
        expect(evaluate({ kind: 'not', operand: expr }, scope)).toBe(!evaluate(expr, scope));
        expect(evaluate(parsed(`NOT (${printExpression(expr)})`), scope)).toBe(!evaluate(expr, scope));
      }),
    );
  });

  it('a AND b is a && b, and a OR b is a || b', () => {
    fc.assert(
      fc.property(exprArb, exprArb, scopeArb, (a, b, scope) => {
        const [pa, pb, ea, eb] = [printExpression(a), printExpression(b), evaluate(a, scope), evaluate(b, scope)];
        expect(evaluate(parsed(`(${pa}) AND (${pb})`), scope)).toBe(ea && eb);
        expect(evaluate(parsed(`(${pa}) or (${pb})`), scope)).toBe(ea || eb);
      }),
    );
  });

  it('NOT binds tighter than AND, and AND tighter than OR, in unparenthesised chains of comparisons', () => {
    fc.assert(
      fc.property(fc.array(compareArb, { minLength: 3, maxLength: 3 }), scopeArb, ([a, b, c], scope) => {
        const [pa, pb, pc] = [a, b, c].map((e) => printExpression(e as Expression));
        const [ea, eb, ec] = [a, b, c].map((e) => evaluate(e as Expression, scope));
        expect(evaluate(parsed(`${pa} OR ${pb} AND ${pc}`), scope)).toBe(ea || (eb && ec));
        expect(evaluate(parsed(`${pa} AND ${pb} OR ${pc}`), scope)).toBe((ea && eb) || ec);
        expect(evaluate(parsed(`NOT ${pa} AND ${pb}`), scope)).toBe(!ea && eb);
        expect(evaluate(parsed(`NOT ${pa} OR ${pb}`), scope)).toBe(!ea || eb);
      }),
    );
  });

  it('on scalars, != is the negation of ==, and NOT IN the negation of IN', () => {
    const scalarDocument = fc.dictionary(fc.constantFrom(...KEYS), scalarArb, { maxKeys: 5 });
    const scalarOperand = fc.oneof(attributeArb, constantArb);
    fc.assert(
      fc.property(scalarOperand, scalarOperand, listArb, scalarDocument, scalarDocument, (left, right, list, task, worker) => {
        const scope = { task, worker };
        const equal = evaluate(cmp(left, '==', right), scope);
        expect(evaluate(cmp(left, '!=', right), scope)).toBe(!equal);
        expect(evaluate(cmp(left, 'NOT IN', list), scope)).toBe(!evaluate(cmp(left, 'IN', list), scope));
      }),
    );
  });

  it('evaluation is total on arbitrary values', () => {
    fc.assert(
      fc.property(exprArb, fc.anything(), fc.anything(), (expr, task, worker) => {
        const scope = { task, worker } as ExpressionScope;
        expect(typeof evaluate(expr, scope)).toBe('boolean');
      }),
    );
  });

  const TOKENS = ['worker.x', 'task.y', 'a[0]', 'b.', '(', ')', '[', ']', ',', '"a"', "'b'", '"', "'", '\\', '1', '-2.5', '1e3', '.', '-',
    '==', '=', '!=', '<', '>=', '&&', '!', 'IN', 'NOT', 'not', 'AND', 'or', 'HAS', 'CONTAINS', 'true', 'null', ' ', '\n', '😀'];
  const soupArb = fc.tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }), fc.boolean()).map(([tokens, spaced]) => tokens.join(spaced ? ' ' : ''));
  /** A valid source with one token inserted, or one character dropped, or cut short: errors deep inside. */
  const nearMissArb = fc
    .tuple(exprArb, fc.nat(), fc.constantFrom(...TOKENS), fc.constantFrom('insert', 'drop', 'cut'))
    .map(([expr, at, token, edit]) => {
      const source = printExpression(expr);
      const i = at % (source.length + 1);
      if (edit === 'insert') return source.slice(0, i) + token + source.slice(i);
      return edit === 'drop' ? source.slice(0, i) + source.slice(i + 1) : source.slice(0, i);
    });

  it.each([
    ['full unicode strings', fc.string({ unit: 'binary' })],
    ['ascii strings', fc.string({ unit: 'binary-ascii' })],
    ['token soup', soupArb],
    ['near misses', nearMissArb],
  ])('parsing never throws on %s: a tree that prints canonically, or a refusal at a position in the source', (_, sourceArb) => {
    fc.assert(
      fc.property(sourceArb, (source) => {
        const result = parseExpression(source);
        if (result.ok) {
          const canonical = printExpression(result.value);
          expect(parsed(canonical)).toEqual(result.value);
          return;
        }
        expect(Number.isInteger(result.error.position)).toBe(true);
        expect(result.error.position).toBeGreaterThanOrEqual(0);
        expect(result.error.position).toBeLessThanOrEqual(source.length);
        expect(result.error.message).toContain(`at position ${result.error.position}`);
        expect(result.refusal).toEqual({ code: 'invalid-parameter', message: result.error.message });
      }),
      { numRuns: 500 },
    );
  });
});
