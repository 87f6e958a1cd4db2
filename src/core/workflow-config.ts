/**
 * TaskRouter Workflow configuration: the JSON a Workflow's `Configuration` holds, parsed and
 * validated once at create/update so routing never meets a broken one. A refusal names where the
 * problem is: `task_routing.filters[2].targets[0].expression: expected a value after '==' at
 * position 14`.
 *
 * ```json
 * {"task_routing": {
 *    "filters": [{"filter_friendly_name": "Sales", "expression": "type == 'sales'",
 *                 "targets": [{"queue": "WQ…", "expression": "task.language IN worker.languages",
 *                              "priority": 5, "timeout": 30, "order_by": "worker.level DESC",
 *                              "skip_if": "workers.available == 0"}]}],
 *    "default_filter": {"queue": "WQ…"}}}
 * ```
 */
import { refuse, ok, type Result } from './errors.js';
import { parseExpression, type Expression } from './expressions.js';
import { isSid } from './sids.js';

export interface OrderKey {
  /** A path into the worker's attributes. */
  readonly path: readonly string[];
  readonly descending: boolean;
}

export interface WorkflowTarget {
  readonly queueSid: string;
  readonly expression: Expression | null;
  readonly priority: number | null;
  /** Seconds in this target before the task moves on to the next one; null means until the task times out. */
  readonly timeoutS: number | null;
  readonly orderBy: readonly OrderKey[];
  readonly skipIf: Expression | null;
}

export interface WorkflowFilter {
  readonly name: string;
  readonly expression: Expression;
  readonly targets: readonly WorkflowTarget[];
}

export interface WorkflowConfig {
  readonly filters: readonly WorkflowFilter[];
  readonly defaultTarget: WorkflowTarget | null;
}

/** Where a task stands in a workflow: a filter (or the default filter) and a target in it. */
export interface RoutingPosition {
  /** Index into `filters`, or -1 for the default filter. */
  readonly filterIndex: number;
  readonly targetIndex: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and validates a configuration. `queueExists` says whether a TaskQueue SID belongs to the
 * workflow's workspace.
 */
export function parseWorkflowConfig(source: string, queueExists: (sid: string) => boolean): Result<WorkflowConfig> {
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (error) {
    return invalid('', `is not valid JSON (${(error as Error).message})`);
  }
  if (!isObj(json) || !isObj(json.task_routing)) return invalid('', 'must be an object with a task_routing object');
  const routing = json.task_routing;
  const rawFilters = routing.filters ?? [];
  if (!Array.isArray(rawFilters)) return invalid('task_routing.filters', 'must be an array');
  const filters: WorkflowFilter[] = [];
  for (const [i, raw] of rawFilters.entries()) {
    const filter = parseFilter(raw, `task_routing.filters[${i}]`, queueExists);
    if (!filter.ok) return filter;
    filters.push(filter.value);
  }
  let defaultTarget: WorkflowTarget | null = null;
  if (routing.default_filter !== undefined) {
    const target = parseTarget(routing.default_filter, 'task_routing.default_filter', queueExists);
    if (!target.ok) return target;
    defaultTarget = target.value;
  }
  if (filters.length === 0 && defaultTarget === null) return invalid('task_routing', 'needs at least one filter or a default_filter');
  return ok({ filters, defaultTarget });
}

function parseFilter(raw: unknown, at: string, queueExists: (sid: string) => boolean): Result<WorkflowFilter> {
  if (!isObj(raw)) return invalid(at, 'must be an object');
  const name = raw.filter_friendly_name ?? raw.friendly_name ?? '';
  if (typeof name !== 'string') return invalid(`${at}.filter_friendly_name`, 'must be a string');
  const expression = parseExpressionField(raw.expression, `${at}.expression`, true);
  if (!expression.ok) return expression;
  if (!Array.isArray(raw.targets) || raw.targets.length === 0) return invalid(`${at}.targets`, 'must be a non-empty array');
  const targets: WorkflowTarget[] = [];
  for (const [j, t] of raw.targets.entries()) {
    const target = parseTarget(t, `${at}.targets[${j}]`, queueExists);
    if (!target.ok) return target;
    targets.push(target.value);
  }
  return ok({ name, expression: expression.value as Expression, targets });
}

function parseTarget(raw: unknown, at: string, queueExists: (sid: string) => boolean): Result<WorkflowTarget> {
  if (!isObj(raw)) return invalid(at, 'must be an object');
  if (!isSid('taskQueue', raw.queue)) return invalid(`${at}.queue`, 'must be a TaskQueue SID (WQ followed by 32 hex digits)');
  if (!queueExists(raw.queue)) return invalid(`${at}.queue`, `names TaskQueue ${raw.queue}, which is not in this workspace`);
  const expression = parseExpressionField(raw.expression, `${at}.expression`, false);
  if (!expression.ok) return expression;
  const skipIf = parseExpressionField(raw.skip_if, `${at}.skip_if`, false);
  if (!skipIf.ok) return skipIf;
  const priority = optionalInteger(raw.priority, `${at}.priority`, 0, 2 ** 31 - 1);
  if (!priority.ok) return priority;
  const timeoutS = optionalInteger(raw.timeout, `${at}.timeout`, 1, 86_400 * 365);
  if (!timeoutS.ok) return timeoutS;
  const orderBy = parseOrderBy(raw.order_by, `${at}.order_by`);
  if (!orderBy.ok) return orderBy;
  return ok({ queueSid: raw.queue, expression: expression.value, priority: priority.value, timeoutS: timeoutS.value, orderBy: orderBy.value, skipIf: skipIf.value });
}

function parseExpressionField(raw: unknown, at: string, required: boolean): Result<Expression | null> {
  if (raw === undefined || raw === null || raw === '') return required ? invalid(at, 'is required') : ok(null);
  if (typeof raw !== 'string') return invalid(at, 'must be a string');
  const parsed = parseExpression(raw);
  return parsed.ok ? ok(parsed.value) : invalid(at, parsed.error.message);
}

function optionalInteger(raw: unknown, at: string, min: number, max: number): Result<number | null> {
  if (raw === undefined || raw === null) return ok(null);
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) return invalid(at, `must be a whole number from ${min} to ${max}`);
  return ok(raw);
}

const ORDER_KEY = /^worker\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?:\s+(ASC|DESC))?$/i;

function parseOrderBy(raw: unknown, at: string): Result<OrderKey[]> {
  if (raw === undefined || raw === null || raw === '') return ok([]);
  if (typeof raw !== 'string') return invalid(at, 'must be a string such as "worker.level DESC"');
  const keys: OrderKey[] = [];
  for (const [i, part] of raw.split(',').entries()) {
    const m = ORDER_KEY.exec(part.trim());
    if (!m) return invalid(at, `key ${i + 1} ("${part.trim()}") must be a worker attribute with an optional ASC or DESC, e.g. "worker.level DESC"`);
    keys.push({ path: (m[1] as string).split('.'), descending: (m[2] ?? 'ASC').toUpperCase() === 'DESC' });
  }
  return ok(keys);
}

function invalid(at: string, problem: string): { ok: false; refusal: { code: 'invalid-parameter'; message: string; field: string } } {
  const message = at === '' ? `Configuration ${problem}` : `Configuration ${at}: ${problem}`;
  return refuse('invalid-parameter', message, 'Configuration') as { ok: false; refusal: { code: 'invalid-parameter'; message: string; field: string } };
}

/** The target a position points at, or null when it points nowhere (no default filter). */
export function targetAt(config: WorkflowConfig, position: RoutingPosition): WorkflowTarget | null {
  const targets = position.filterIndex < 0 ? (config.defaultTarget ? [config.defaultTarget] : []) : (config.filters[position.filterIndex]?.targets ?? []);
  return targets[position.targetIndex] ?? null;
}

/** The position after `position` when its target times out or is skipped, or null at the end. */
export function nextPosition(config: WorkflowConfig, position: RoutingPosition): RoutingPosition | null {
  const next = { ...position, targetIndex: position.targetIndex + 1 };
  return targetAt(config, next) ? next : null;
}
