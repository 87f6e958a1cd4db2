/**
 * The fuzzing properties, shared by the test sample and the benchmark run. Each returns the check
 * for one generated case; a violation throws with the case, so fast-check shrinks it.
 */
import {
  checkEnvelopeError, checkTwilioError, sendEnvelope, sendRest, sendUpgrade, type EnvelopeCase, type FuzzRunner, type RestCase, type UpgradeCase,
} from './fuzz-harness.js';

export function restProperty(runner: FuzzRunner): (c: RestCase) => Promise<void> {
  return async (c) => {
    const world = runner.world;
    const before = world.mark();
    const outcome = await sendRest(world, c);
    if (outcome.status >= 500) throw new Error(`${outcome.status} for ${c.method} ${c.url}: ${outcome.body.slice(0, 300)}`);
    if (outcome.status >= 400) {
      const shape = checkTwilioError(outcome);
      if (shape) throw new Error(`${shape} (${c.method} ${c.url})`);
      if (!world.unchangedSince(before)) throw new Error(`${c.method} ${c.url} ${JSON.stringify(c.form)} was refused with ${outcome.status} but changed the store`);
    } else {
      await runner.renewIfSpent();
    }
  };
}

export function envelopeProperty(runner: FuzzRunner): (c: EnvelopeCase) => Promise<void> {
  return async (c) => {
    const world = runner.world;
    const before = world.mark();
    const outcome = await sendEnvelope(world, c);
    if (outcome.status >= 500) throw new Error(`${outcome.status} for ${c.body.slice(0, 300)}: ${outcome.body.slice(0, 300)}`);
    if (outcome.status >= 400) {
      const shape = checkEnvelopeError(outcome);
      if (shape) throw new Error(shape);
      if (!world.unchangedSince(before)) throw new Error(`envelope ${c.body.slice(0, 300)} was refused with ${outcome.status} but changed the store`);
    } else {
      await runner.renewIfSpent();
    }
  };
}

export function upgradeProperty(runner: FuzzRunner): (c: UpgradeCase) => Promise<void> {
  return async (c) => {
    const status = await sendUpgrade(runner.world, c);
    if (status !== 101 && (status < 400 || status >= 500)) throw new Error(`upgrade answered ${status} for ?${c.query}`);
  };
}
