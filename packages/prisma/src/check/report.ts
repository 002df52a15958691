// Renders `db:check` findings as a table a DBA can read at a glance, then the failures with fixes.
import { CITUS_CHECKS, ROLE_CHECKS, SUPABASE_CHECKS, TABLE_CHECKS, type Finding } from './audit.js';
import { AUDIT_LOG_CHECKS } from './audit-log.js';

export function formatReport(findings: Finding[], header: string, tenantColumn = 'tenant_id'): string {
  const lines = [header, ''];
  const roleFindings = findings.filter((f) => f.subject.startsWith('role '));
  const tables = [...new Set(findings.filter((f) => !f.subject.startsWith('role ')).map((f) => f.subject))];
  const cell = (f: Finding | undefined) => (f === undefined ? '-' : f.ok ? 'ok' : 'FAIL');

  if (roleFindings.length > 0) {
    lines.push(
      ...grid(
        ['runtime role', ...ROLE_CHECKS],
        [[roleFindings[0]!.subject.slice(5), ...ROLE_CHECKS.map((c) => cell(roleFindings.find((f) => f.check === c)))]],
      ),
      '',
    );
  }
  if (tables.length === 0) {
    lines.push(`No table with a ${tenantColumn} column was found in the audited schemas.`, '');
  } else {
    const rows = tables.map((t) => [
      t,
      ...TABLE_CHECKS.map((c) => cell(findings.find((f) => f.subject === t && f.check === c))),
    ]);
    lines.push(...grid(['tenant table', ...TABLE_CHECKS], rows), '');
  }
  // The Supabase traps in their own grid, so the two above keep their columns; '-' where a check does
  // not apply (no runtime URL given; anon/authenticated do not exist).
  const supabase = findings.filter((f) => (SUPABASE_CHECKS as readonly string[]).includes(f.check));
  if (supabase.length > 0) {
    const subjects = [...new Set(supabase.map((f) => f.subject))];
    const rows = subjects.map((s) => [
      s.startsWith('role ') ? s.slice(5) : s,
      ...SUPABASE_CHECKS.map((c) => cell(supabase.find((f) => f.subject === s && f.check === c))),
    ]);
    lines.push(...grid(['supabase traps', ...SUPABASE_CHECKS], rows), '');
  }
  // The Citus checks likewise, only on a Citus coordinator.
  const citus = findings.filter((f) => (CITUS_CHECKS as readonly string[]).includes(f.check));
  if (citus.length > 0) {
    const subjects = [...new Set(citus.map((f) => f.subject))];
    const rows = subjects.map((s) => [
      s,
      ...CITUS_CHECKS.map((c) => cell(citus.find((f) => f.subject === s && f.check === c))),
    ]);
    lines.push(...grid(['citus', ...CITUS_CHECKS], rows), '');
  }
  // The audit log group (audit-log.ts): the log's row and one per audited table ('-' where a check is the log's).
  const audit = findings.filter((f) => (AUDIT_LOG_CHECKS as readonly string[]).includes(f.check));
  if (audit.length > 0) {
    const subjects = [...new Set(audit.map((f) => f.subject))];
    const rows = subjects.map((s) => [
      s,
      ...AUDIT_LOG_CHECKS.map((c) => cell(audit.find((f) => f.subject === s && f.check === c))),
    ]);
    lines.push(...grid(['audit log', ...AUDIT_LOG_CHECKS], rows), '');
  }
  const failures = findings.filter((f) => !f.ok);
  if (failures.length === 0) {
    lines.push(`All ${findings.length} checks passed.`);
  } else {
    lines.push(`${failures.length} of ${findings.length} checks failed:`);
    for (const f of failures) lines.push(`  ✗ ${f.subject} · ${f.check}: ${f.detail ?? ''}`);
  }
  return lines.join('\n');
}

function grid(head: readonly string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
