// Generates the kit's fixture client (test/fixture/schema.prisma -> test/fixture/generated/prisma, gitignored)
// with the real `prisma generate`, offline too (the engine's generatePrismaClient). Skipped when the schema and
// Prisma's version are unchanged.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generatePrismaClient } from '@tenantry/prisma/migrate';

export const fixtureDir = fileURLToPath(new URL('../fixture/', import.meta.url));

export async function generateFixtureClient(): Promise<void> {
  const code = await generatePrismaClient({
    schemaPath: path.join(fixtureDir, 'schema.prisma'),
    configPath: path.join(fixtureDir, 'prisma.config.ts'),
    stampFile: path.join(fixtureDir, 'generated', 'prisma', '.schema-hash'),
  });
  if (code !== 0) {
    throw new Error(
      `Cannot generate the fixture client because \`prisma generate\` exited ${code} (its output is above). Fix test/fixture/schema.prisma.`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  await generateFixtureClient();
