// What Prisma Migrate's opaque failures mean here, in the repo's words: "Cannot <action> because
// <reason>. <fix>." The wasm engine reports database errors as Prisma error codes (P1010, P3006,
// P3014, P3018, ...) with the Postgres message somewhere inside; most of the time the real cause
// is a permission of the owner role (no CREATEDB for the shadow database, a table owned by
// another role, a migration that needs a superuser), which Prisma blames on the migrations.
import { describeUrl } from './urls.js';
import { ShadowDatabaseError, takeShadowFailure } from './pg-adapter-factory.js';

export class MigrationCommandError extends Error {
  override name = 'MigrationCommandError';
  constructor(
    message: string,
    /** The Prisma or Postgres code recognised, when there was one. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ErrorContext {
  /** "apply the migrations", "create the migration", "check for drift", ... */
  action: string;
  url: string;
  shadowUrl?: string;
}

const roleOf = (url: string) =>
  (URL.canParse(url) ? decodeURIComponent(new URL(url).username) : '') || 'the connecting role';

/** Every message in an error and its causes, joined. */
function fullText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    const meta = (e as { meta?: unknown }).meta;
    if (meta) parts.push(JSON.stringify(meta));
  }
  return parts.join('\n');
}

/**
 * A MigrationCommandError saying what really went wrong, or the error unchanged when it is not one
 * we recognise (or already ours).
 */
export function translateMigrationError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof MigrationCommandError) return error;
  // The engine turns our shadow-database errors into "Failed to connect to the shadow database" or
  // a failed replay; the factory kept the real one.
  const shadowFailure = error instanceof ShadowDatabaseError ? error : takeShadowFailure();
  if (shadowFailure) {
    return new MigrationCommandError(
      `Cannot ${context.action} because Prisma Migrate had no shadow database: ${shadowFailure.message.replace(/^Cannot /, 'cannot ')}`,
      'shadow',
      { cause: error },
    );
  }
  const text = fullText(error);
  const role = roleOf(context.url);
  const where = describeUrl(context.url);
  const code = /\b(P\d{4})\b/.exec(text)?.[1];
  const sqlState = (error as { code?: string }).code;
  const quote = firstLine(text);

  if (
    (error as Error)?.name === 'MigrateDevEnvNonInteractiveError' ||
    /detected that the environment is non-interactive/.test(text)
  ) {
    return new MigrationCommandError(
      `Cannot ${context.action} because Prisma printed warnings about it (above) and there is no terminal to confirm them. ` +
        'Read the warnings; if they are fine (a new unique constraint on a table without duplicates, say), run the same command again with --force, or run it in a terminal to be asked.',
      'non-interactive',
      { cause: error },
    );
  }
  // A nested ShadowDatabaseError the engine wrapped.
  const shadow = /Cannot (create|connect to|empty|use)[^\n]*shadow database[^\n]*/i.exec(text);
  if (shadow)
    return new MigrationCommandError(
      `Cannot ${context.action} because Prisma Migrate had no shadow database: ${shadow[0]}`,
      code ?? 'shadow',
      { cause: error },
    );

  if (code === 'P3014' || /Failed to connect to the shadow database|could not create the shadow database/i.test(text)) {
    return new MigrationCommandError(
      `Cannot ${context.action} because Prisma Migrate could not get its shadow database on ${where}: ${role} may not create databases (no CREATEDB, as an owner role should not) ` +
        `and no SHADOW_DATABASE_URL is set. Set SHADOW_DATABASE_URL to an empty database owned by ${role} (the dev database has tenantry_shadow; docker/postgres-init.sh creates it for docker-compose). Prisma said: ${quote}`,
      code ?? 'P3014',
      { cause: error },
    );
  }
  if (code === 'P1010' || /denied access on the database/i.test(text)) {
    return new MigrationCommandError(
      `Cannot ${context.action} because ${role} may not connect to ${where} (P1010: no CONNECT privilege, or the database belongs to another role). ` +
        `As a superuser: GRANT CONNECT ON DATABASE ... TO ${role}; or set DIRECT_URL to the owner role's URL (tenantry_owner).`,
      'P1010',
      { cause: error },
    );
  }
  if (code === 'P1000' || sqlState === '28P01' || /password authentication failed|Authentication failed/i.test(text)) {
    return new MigrationCommandError(
      `Cannot ${context.action} because ${where} refused ${role}'s password. Check the password in DIRECT_URL (and SHADOW_DATABASE_URL).`,
      code ?? sqlState,
      { cause: error },
    );
  }
  if (code === 'P1001' || sqlState === 'ECONNREFUSED' || /ECONNREFUSED|Can't reach database server/i.test(text)) {
    return new MigrationCommandError(
      `Cannot ${context.action} because nothing answers at ${where}. Start that Postgres (docker compose up -d), or unset DATABASE_URL, DIRECT_URL and DATABASE_ADMIN_URL to use the dev database.`,
      code ?? 'ECONNREFUSED',
      { cause: error },
    );
  }
  // Permission problems Prisma reports as a failed migration (P3006 on the shadow database, P3018
  // on the database itself) or as drift: the migrations are fine, the role is not.
  const denied =
    /permission denied[^\n"]*|must be (?:the )?owner of[^\n"]*|must be superuser[^\n"]*|only superuser[^\n"]*/i.exec(
      text,
    );
  if (denied) {
    const migration = /Migration name: (\S+)|migration `([^`]+)`|Migration `([^`]+)`/.exec(text);
    const name = migration ? (migration[1] ?? migration[2] ?? migration[3]) : undefined;
    const onShadow = code === 'P3006' || /shadow database/i.test(text);
    return new MigrationCommandError(
      `Cannot ${context.action} because ${role} lacks a privilege${name ? ` in migration ${name}` : ''}${onShadow ? ' (while replaying the migrations on the shadow database)' : ''}: Postgres said "${denied[0].trim()}". ` +
        `This is a permission, not a broken migration: run migrations as the role that owns the schema and its tables (tenantry_owner, DIRECT_URL). ` +
        `If a table was created by another role (a superuser, db push), make the owner own it: ALTER TABLE ... OWNER TO tenantry_owner; if a migration needs a superuser (CREATE EXTENSION, roles), apply that step as a superuser first.`,
      code ?? '42501',
      { cause: error },
    );
  }
  return error;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}
