/**
 * A server action whose database work outlasts the request deadline, in a real browser: the form
 * shows the action's error state ("try again in 1 s") instead of the app's error page, nothing is
 * written, and the same form works once the lock is gone. Runs its own `next start` of the shared
 * build with a short WEB_REQUEST_DEADLINE_MS; the superuser's ACCESS EXCLUSIVE lock makes the insert wait.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { goto, launchChromium, screenshot } from '../support/browser';
import { startNextServer, type NextServer } from '../support/next-server';
import { logLine } from '../support/server-log';
import { adminClient, rig, seedTenant, sessionToken, warmUp, type SeededTenant } from '../support/web';

const DEADLINE_MS = 800;

let browser: Browser | undefined;
let launchError: unknown;
let context: BrowserContext | undefined;
let server: NextServer | undefined;
let admin: AdminPrismaClient;
let superuser: pg.Client;
let tenant: SeededTenant;
let token: string;

beforeAll(async () => {
  admin = adminClient();
  tenant = await seedTenant(admin, 'fay');
  token = await sessionToken(tenant.userId, { tenantId: tenant.tenantId });
  superuser = new pg.Client({ connectionString: rig().superuserUrl });
  await superuser.connect();
  // Kept, not thrown: a missing Chromium must fail the test saying how to install it (see tenant-isolation.test.ts).
  [browser, server] = await Promise.all([
    launchChromium().catch((error: unknown) => {
      launchError = error;
      return undefined;
    }),
    startNextServer({
      logName: 'next-start-actions-deadline.log',
      env: {
        JWT_SECRET: rig().jwtSecret,
        DATABASE_URL: rig().runtimeUrl,
        DATABASE_ADMIN_URL: rig().adminUrl,
        DATABASE_POOL_SIZE: '2',
        WEB_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      },
    }),
  ]);
  await warmUp(server!.baseUrl, token);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  await superuser?.end();
  await admin?.$disconnect();
});

describe('a server action when the database does not answer in time', () => {
  it('returns its error state with the time to wait, writes nothing, and works again after the lock', async () => {
    if (!browser) throw launchError;
    context = await browser.newContext({ baseURL: server!.baseUrl, viewport: { width: 1200, height: 800 } });
    context.setDefaultTimeout(20_000);
    await context.addCookies([{ name: 'tenantry_session', value: token, url: server!.baseUrl }]);
    const page = await context.newPage();
    await goto(page, '/workspaces');
    const form = page.getByRole('form', { name: 'New workspace' });

    await superuser.query('begin');
    try {
      await superuser.query('lock table workspaces in access exclusive mode');
      await form.getByRole('textbox', { name: 'Workspace name' }).fill('fay locked out');
      await form.getByRole('button', { name: 'Create workspace' }).click();
      const alert = form.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toBe('The database is busy and did not answer in time; try again in 1 s.');
      await screenshot(page, '20-action-deadline-exceeded');
    } finally {
      await superuser.query('rollback');
    }
    expect(await admin.workspace.count({ where: { tenantId: tenant.tenantId } })).toBe(2);
    const line = await logLine(server!.logFile, (l) => l.where === 'action on workspace');
    expect(line).toMatchObject({ level: 'warn', error: 'DeadlineExceededError', kind: 'lock', postgresCode: '55P03' });

    // React resets a form after its action settles, so the name is typed again.
    await form.getByRole('textbox', { name: 'Workspace name' }).fill('fay locked out');
    await form.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByTestId('workspace-list').getByText('fay locked out').waitFor();
    expect(await form.getByRole('alert').count()).toBe(0);
    expect(await admin.workspace.count({ where: { tenantId: tenant.tenantId } })).toBe(3);
  });
});
