// Vitest's global setup: the fixture's client, generated once per run (skipped when unchanged).
import { generateFixtureClient } from './generate-fixture.js';

export default async function setup(): Promise<void> {
  await generateFixtureClient();
}
