// Renders `db:check` findings as a table a DBA can read at a glance, then the failures with fixes.
import { ROLE_CHECKS, TABLE_CHECKS, type Finding } from './audit.js';

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
