// Generates the fixture schema's client (test/fixture/schema.prisma -> test/fixture/generated/prisma, gitignored)
// with the real `prisma generate`, offline: code generation needs no native schema engine, and pointing
// PRISMA_SCHEMA_ENGINE_BINARY at a stand-in stops the download that fails without a network (as
// packages/db/scripts/prisma-cli.ts does). Skipped when the schema and Prisma's version are unchanged.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { engineStandIn, hasNativeSchemaEngine, runPrismaCli } from '@tenantry/prisma/migrate';

export const fixtureDir = fileURLToPath(new URL('../fixture/', import.meta.url));
const schemaPath = path.join(fixtureDir, 'schema.prisma');
const stampPath = path.join(fixtureDir, 'generated', 'prisma', '.schema-hash');

export async function generateFixtureClient(): Promise<void> {
  const { version } = createRequire(import.meta.url)('prisma/package.json') as { version: string };
  const stamp = createHash('sha256')
    .update(`${version}\n${await readFile(schemaPath, 'utf8')}`)
    .digest('hex');
  if ((await readFile(stampPath, 'utf8').catch(() => '')) === stamp) return;
  const env: NodeJS.ProcessEnv = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !(await hasNativeSchemaEngine()))
    env.PRISMA_SCHEMA_ENGINE_BINARY = engineStandIn();
  const code = await runPrismaCli(
    ['generate', '--schema', schemaPath, '--config', path.join(fixtureDir, 'prisma.config.ts')],
    env,
  );
  if (code !== 0) {
    throw new Error(
      `Cannot generate the fixture client because \`prisma generate\` exited ${code} (its output is above). Fix test/fixture/schema.prisma.`,
    );
  }
  await writeFile(stampPath, stamp);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  await generateFixtureClient();
