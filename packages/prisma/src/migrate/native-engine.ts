// The online path: when Prisma's native schema engine is installed, the real `prisma` CLI runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const requireHere = createRequire(import.meta.url);

/**
 * True when a working native schema engine is installed. `resolveBinary` honours
 * `PRISMA_SCHEMA_ENGINE_BINARY`, which on offline machines often points at a stand-in (any file
 * stops the download), so we also ask the binary for its version: a stand-in prints nothing.
 * Pitfall: with a stand-in, `prisma migrate diff --exit-code` exits 0 and prints nothing, a false
 * "no drift"; that is why the stand-in must never count as an engine.
 */
export async function hasNativeSchemaEngine(): Promise<boolean> {
  const internals = requireHere('@prisma/internals') as {
    resolveBinary(name: string): Promise<string>;
    BinaryType: { SchemaEngineBinary: string };
  };
  let binary: string;
  try {
    binary = await internals.resolveBinary(internals.BinaryType.SchemaEngineBinary);
  } catch {
    return false;
  }
  if (!existsSync(binary)) return false;
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return version.status === 0 && /schema-engine/i.test(version.stdout);
}

/**
 * Runs the `prisma` CLI of this package with `args` and resolves with its exit code. stdio is
 * inherited so that its prompts, colours and messages are exactly Prisma's.
 */
export function runPrismaCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const prismaPackage = path.dirname(requireHere.resolve('prisma/package.json'));
  const entry = path.join(prismaPackage, 'build', 'index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * An executable that exits 0 for any arguments, for `PRISMA_SCHEMA_ENGINE_BINARY` in offline runs.
 * The command classes call the native engine directly for one thing only, the "can I connect /
 * create the database" check before they start; we do that check ourselves over `pg` first
 * (`ensureDatabaseExists` in run.ts), so the stand-in answering "yes" tells no lie.
 */
export function engineStandIn(): string {
  const candidate = ['/usr/bin/true', '/bin/true'].find((file) => existsSync(file));
  if (!candidate) {
    throw new Error(
      'Cannot run Prisma migrate offline because no `true` executable was found. ' +
        'Set PRISMA_SCHEMA_ENGINE_BINARY to any executable that exits 0.',
    );
  }
  return candidate;
}
