// The Supabase traps of `tenantry check`: each is a way a Supabase project ends up with RLS that
// holds in the migrations and tests but not for the requests that matter.
//
// - The runtime URL logs in as a role that bypasses RLS. Supabase's `postgres`, `supabase_admin` and
//   `service_role` do, and its Prisma quick-start creates `prisma` WITH BYPASSRLS: right for
//   DIRECT_URL, fatal for DATABASE_URL, where every policy silently stops applying. On Supabase's
//   shared pooler the user is `<role>.<project-ref>`. The role is looked up in pg_roles through the
//   audit's own connection; the runtime URL is parsed, never connected to.
// - `anon` and `authenticated` hold privileges on a tenant table. Supabase's default privileges grant
//   them ALL on every table created in `public`, the Data API exposes those tables to anyone with the
//   anon key, and only the policies stand between: today none applies to them, so they read nothing,
//   but TRUNCATE, REFERENCES and TRIGGER are not governed by RLS at all, and a policy written later
//   for `authenticated` (or a disabled RLS) opens the table through PostgREST.
// - A policy `TO public` on a tenant table applies to anon too.
import type pg from 'pg';

/** Login roles that bypass RLS on Supabase (or, for `prisma`, do as its quick-start creates them). */
export const BYPASSING_LOGINS = ['postgres', 'supabase_admin', 'service_role', 'prisma'] as const;
/** Supabase's Data API roles; checked only where they exist. */
export const SUPABASE_API_ROLES = ['anon', 'authenticated'] as const;
const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;
const POLICY_COMMANDS = new Set<string>(['SELECT', 'INSERT', 'UPDATE', 'DELETE']);

export interface RuntimeLogin {
  /** The user name of the runtime URL, as written (`tenantry_app.abcdefghijklmnopqrst` on Supabase's pooler). */
  user: string;
  /** Where it came from, for messages: `DATABASE_URL` or `--runtime-url`. */
  source: string;
}

/** The user of a postgres URL; undefined when it names none (libpq would use the OS user). */
export function loginUserOf(url: string): string | undefined {
  let user: string;
  try {
    user = decodeURIComponent(new URL(url).username);
  } catch {
    return undefined;
  }
  return user === '' ? undefined : user;
}

/**
 * The runtime login's problem, or undefined when it is fine: a bypassing role by name or attribute,
 * membership in one, an unknown role, or another role than the one the audit checked.
 */
export async function runtimeLoginProblem(
  client: pg.ClientBase,
  login: RuntimeLogin,
  runtimeRole: string,
): Promise<string | undefined> {
  // Supavisor's `<role>.<project-ref>`: the role is the part before the last dot, unless a role has the whole name.
  const candidates = [
    login.user,
    ...(login.user.includes('.') ? [login.user.slice(0, login.user.lastIndexOf('.'))] : []),
  ];
  const { rows } = await client.query<{
    rolname: string;
    rolsuper: boolean;
    rolbypassrls: boolean;
    bypass_roles: string[];
  }>(
    `select r.rolname::text, r.rolsuper, r.rolbypassrls,
            array(select o.rolname::text from pg_roles o where o.oid <> r.oid and (o.rolsuper or o.rolbypassrls)
                     and pg_has_role(r.oid, o.oid, 'MEMBER') order by 1) as bypass_roles
       from pg_roles r where r.rolname = any($1::text[]) order by r.rolname = $2 desc limit 1`,
    [candidates, login.user],
  );
  const fix = `Fix: set ${login.source} to the runtime role ${runtimeRole} (on Supabase's pooler the user is ${runtimeRole}.<project-ref>) and keep owner and bypass roles for DIRECT_URL and DATABASE_ADMIN_URL.`;
  const r = rows[0];
  const role = r?.rolname ?? candidates.at(-1)!;
  if ((BYPASSING_LOGINS as readonly string[]).includes(role) || r?.rolsuper || r?.rolbypassrls) {
    const why = r?.rolsuper
      ? 'a superuser'
      : r?.rolbypassrls
        ? 'a BYPASSRLS role'
        : 'which Supabase gives BYPASSRLS (postgres, supabase_admin, service_role, and the prisma role of its Prisma quick-start)';
    return `${login.source} logs in as ${role}, ${why}: RLS does not apply to it, so every policy silently stops applying to the app's queries. ${fix}`;
  }
  if (!r) {
    return `${login.source} logs in as ${login.user}, but no such role exists in this database's cluster, so the audit cannot vouch for it. ${fix}`;
  }
  if (r.bypass_roles.length > 0) {
    return `${login.source} logs in as ${role}, which can SET ROLE to ${r.bypass_roles.join(', ')} (bypassing RLS); raw SQL could switch to it. Fix: REVOKE ${r.bypass_roles.join(', ')} FROM ${role}; or ${fix.slice(5)}`;
  }
  if (role !== runtimeRole) {
    return `${login.source} logs in as ${role}, but this audit checked ${runtimeRole}, so its findings are not about the role the app runs as. Fix: pass --runtime-role ${role} (or TENANTRY_RUNTIME_ROLE), or set ${login.source} to ${runtimeRole}.`;
  }
  return undefined;
}

export interface PolicyRow {
  name: string;
  /** SELECT, INSERT, UPDATE, DELETE or ALL. */
  cmd: string;
  /** Role names; `public` for a policy TO PUBLIC. */
  roles: string[];
}

/** The policies of a table that apply to PUBLIC (and so to anon), as a failure detail; undefined when none. */
export function publicPolicyProblem(table: string, policies: readonly PolicyRow[]): string | undefined {
  const open = policies.filter((p) => p.roles.includes('public')).map((p) => `"${p.name}"`);
  if (open.length === 0) return undefined;
  return (
    `Policies ${open.join(', ')} apply TO PUBLIC, so every role gets them, Supabase's anon (anyone with the anon key, through the Data API) included. ` +
    `Fix: ALTER POLICY <name> ON ${table} TO <runtime role>; (policies name their role, docs/DESIGN.md "Policies").`
  );
}

/**
 * anon's and authenticated's privileges on a table that no policy for them covers, as a failure
 * detail; undefined when neither holds one (or neither exists: not a Supabase database).
 */
export async function apiRoleGrantProblem(
  client: pg.ClientBase,
  table: { oid: number; name: string },
  policies: readonly PolicyRow[],
): Promise<string | undefined> {
  const { rows } = await client.query<{ role: string; privileges: string[] }>(
    `select r.rolname::text as role,
            array(select p from unnest($2::text[]) with ordinality u(p, i) where has_table_privilege(r.oid, $1::oid, p) order by i) as privileges
       from pg_roles r where r.rolname = any($3::text[]) order by 1`,
    [table.oid, PRIVILEGES, SUPABASE_API_ROLES],
  );
  const uncovered = rows
    .map((r) => ({
      role: r.role,
      privileges: r.privileges.filter(
        (p) =>
          !POLICY_COMMANDS.has(p) ||
          !policies.some(
            (policy) =>
              (policy.cmd === p || policy.cmd === 'ALL') &&
              (policy.roles.includes(r.role) || policy.roles.includes('public')),
          ),
      ),
    }))
    .filter((r) => r.privileges.length > 0);
  if (uncovered.length === 0) return undefined;
  const roles = uncovered.map((r) => r.role).join(', ');
  return (
    `${uncovered.map((r) => `${r.role} holds ${r.privileges.join(', ')}`).join('; ')} on ${table.name} with no policy for it (Supabase's default privileges grant ALL on public tables): ` +
    'RLS alone stands between the Data API and the rows, TRUNCATE, REFERENCES and TRIGGER are not subject to RLS at all, and a policy added later for them opens the table. ' +
    `Fix: REVOKE ALL ON ${table.name} FROM ${roles}; in a migration (and, for tables to come, ALTER DEFAULT PRIVILEGES FOR ROLE <the role that creates them> IN SCHEMA public REVOKE ALL ON TABLES FROM ${roles};), or add policies for them if the Data API should reach it.`
  );
}
