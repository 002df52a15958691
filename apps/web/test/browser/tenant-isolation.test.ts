/**
 * The app in a real browser (Debian's Chromium via playwright-core) against `next build && next
 * start` and the real database, signed in as the seeded demo users: alice (Acme), bob (Globex) and
 * carol (both). Screenshots of the main pages go to apps/web/test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { DEMO } from '@tenantry/db/testing';
import { goto, launchChromium, newUserContext, screenshot, signIn } from '../support/browser';
import { adminClient } from '../support/web';

const [ACME, GLOBEX] = DEMO.tenants;

let browser: Browser | undefined;
let launchError: unknown;
let admin: AdminPrismaClient;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  admin = adminClient();
  // Kept, not thrown here: vitest reports the tests of a file whose beforeAll throws as skipped,
  // and a missing Chromium must fail every browser test, each saying how to install it.
  browser = await launchChromium().catch((error: unknown) => {
    launchError = error;
    return undefined;
  });
});

function theBrowser(): Browser {
  if (!browser) throw launchError;
  return browser;
}

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await admin?.$disconnect();
});

async function userPage(email: string): Promise<Page> {
  const context = await newUserContext(theBrowser());
  contexts.push(context);
  return signIn(context, email);
}

async function texts(page: Page, testId: string, inner = '.tile-title, .row-title'): Promise<string[]> {
  return page.getByTestId(testId).locator(inner).allTextContents();
}

async function expectTitle(page: Page): Promise<void> {
  // After a client-side navigation Next.js sets document.title once the new page has rendered,
  // a moment after the URL changes: poll instead of reading it once.
  await expect.poll(() => page.title(), { timeout: 5_000 }).toContain('Tenantry');
}

describe('the web app in a browser', () => {
  it('shows the dev sign-in page, clearly marked', async () => {
    const context = await newUserContext(theBrowser());
    contexts.push(context);
    const page = await context.newPage();
    await goto(page, '/workspaces'); // no session: sent to sign in
    await page.waitForURL('**/sign-in**');
    await expectTitle(page);
    expect(await page.getByTestId('dev-banner').textContent()).toContain('Development only');
    for (const user of DEMO.users)
      await expect(page.getByRole('form', { name: `Sign in as ${user.email}` }).count()).resolves.toBe(1);
    await screenshot(page, '01-sign-in');
  });

  it('two users of different tenants, in two browser contexts, each see only their own data', async () => {
    const [alice, bob] = await Promise.all([userPage('alice@acme.test'), userPage('bob@globex.test')]);
    for (const [page, own, other] of [
      [alice, ACME, GLOBEX],
      [bob, GLOBEX, ACME],
    ] as const) {
      await expectTitle(page);
      expect(await page.getByTestId('active-tenant').textContent()).toContain(own.name);
      expect((await texts(page, 'workspace-list')).sort()).toEqual(['Engineering', 'Marketing']);
      await page.getByRole('link', { name: /Engineering/ }).click();
      await page.waitForURL('**/workspaces/*');
      await expectTitle(page);
      const projects = await texts(page, 'project-list');
      expect(projects).toEqual([`${own.name} Engineering project 1`, `${own.name} Engineering project 2`]);
      await page.getByRole('link', { name: `${own.name} Engineering project 1` }).click();
      await page.waitForURL('**/projects/*');
      await expectTitle(page);
      const tasks = await texts(page, 'task-list');
      expect(tasks.length).toBeGreaterThanOrEqual(3);
      expect(tasks.every((t) => t.startsWith(own.name))).toBe(true);
      // What the user can see (the page's HTML also carries framework payloads, e.g. the sign-in page's).
      expect(await page.locator('body').innerText()).not.toContain(other.name);
    }
    await goto(alice, '/workspaces');
    await screenshot(alice, '02-workspaces-alice');
    await goto(bob, '/workspaces');
    await screenshot(bob, '03-workspaces-bob');
    await alice.getByRole('link', { name: /Engineering/ }).click();
    await alice.waitForURL('**/workspaces/*');
    await screenshot(alice, '04-workspace');
    await alice.getByRole('link', { name: 'Acme Corp Engineering project 1' }).click();
    await alice.waitForURL('**/projects/*');
    await screenshot(alice, '05-project-tasks');
  });

  it('creates, renames, completes and deletes through server actions; the other tenant never sees it', async () => {
    const [alice, bob] = await Promise.all([userPage('alice@acme.test'), userPage('bob@globex.test')]);
    const suffix = randomUUID().slice(0, 6);
    const workspace = `QA ${suffix}`;

    await alice.getByLabel('Workspace name', { exact: true }).fill(workspace);
    await alice.getByRole('button', { name: 'Create workspace' }).click();
    await alice.getByRole('link', { name: new RegExp(workspace) }).click();
    await alice.waitForURL('**/workspaces/*');
    expect(await alice.getByTestId('empty-state').textContent()).toContain('No projects');
    await screenshot(alice, '06-empty-workspace');

    await alice.getByLabel('Project name', { exact: true }).fill(`Launch ${suffix}`);
    await alice.getByRole('button', { name: 'Create project' }).click();
    await alice.getByRole('link', { name: new RegExp(`Launch ${suffix}`) }).click();
    await alice.waitForURL('**/projects/*');
    const projectId = alice.url().split('/').pop()!;
    expect(await alice.getByTestId('empty-state').textContent()).toContain('No tasks');

    await alice.getByLabel('Task title', { exact: true }).fill('Write the release notes');
    await alice.getByRole('button', { name: 'Add task' }).click();
    const task = alice.getByTestId('task').filter({ hasText: 'Write the release notes' });
    await task.waitFor();
    await task.getByRole('button', { name: 'Complete Write the release notes' }).click();
    await alice
      .getByTestId('task')
      .filter({ hasText: 'Write the release notes' })
      .and(alice.locator('[data-done="true"]'))
      .waitFor();

    await task.locator('summary').click();
    await task.getByLabel('New task name').fill('Publish the release notes');
    await task.getByRole('button', { name: 'Save' }).click();
    await alice.getByTestId('task').filter({ hasText: 'Publish the release notes' }).waitFor();
    await screenshot(alice, '07-task-done-renamed');

    const row = await admin.task.findFirstOrThrow({ where: { projectId, title: 'Publish the release notes' } });
    expect(row).toMatchObject({ tenantId: ACME.id, done: true });

    // Bob (Globex) cannot see any of it: not in lists, not by URL, not through a route handler.
    await goto(bob, '/workspaces');
    expect(await texts(bob, 'workspace-list')).not.toContain(workspace);
    await goto(bob, `/projects/${projectId}`);
    expect(await bob.getByRole('heading', { level: 1 }).textContent()).toBe('Nothing here');
    await expectTitle(bob);
    expect((await bob.request.get(`/api/projects/${projectId}`)).status()).toBe(404);

    await alice
      .getByTestId('task')
      .filter({ hasText: 'Publish the release notes' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await alice.getByTestId('empty-state').waitFor();
    await goto(alice, '/workspaces');
    await alice.getByTestId('workspace').filter({ hasText: workspace }).getByRole('button', { name: 'Delete' }).click();
    await alice.getByTestId('workspace').filter({ hasText: workspace }).waitFor({ state: 'detached' });
    expect(await admin.workspace.count({ where: { name: workspace } })).toBe(0);
  });

  it('shows an error next to the form when an action fails (duplicate name)', async () => {
    const alice = await userPage('alice@acme.test');
    await alice.getByLabel('Workspace name', { exact: true }).fill('Engineering');
    await alice.getByRole('button', { name: 'Create workspace' }).click();
    const alert = alice.getByRole('form', { name: 'New workspace' }).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/already taken/);
    await screenshot(alice, '08-error-duplicate-name');
  });

  it('switching tenant changes what is shown', async () => {
    const carol = await userPage('carol@both.test');
    const select = carol.getByTestId('tenant-select');
    const names = async () =>
      (await carol.getByTestId('project-list').locator('.row-title').allTextContents()).join('|');
    const startId = await select.inputValue();
    const [start, other] = startId === ACME.id ? [ACME, GLOBEX] : [GLOBEX, ACME];
    await carol.getByRole('link', { name: /Engineering/ }).click();
    await carol.waitForURL('**/workspaces/*');
    expect(await names()).toContain(`${start.name} Engineering`);
    await screenshot(carol, '09-switcher-before');

    await select.selectOption(other.id);
    await carol.waitForFunction(
      (id) => (document.querySelector('[data-testid="tenant-select"]') as HTMLSelectElement | null)?.value === id,
      other.id,
    );
    await carol.waitForURL('**/workspaces');
    await carol.getByRole('link', { name: /Engineering/ }).click();
    await carol.waitForURL('**/workspaces/*');
    expect(await names()).toContain(`${other.name} Engineering`);
    expect(await names()).not.toContain(start.name);
    await screenshot(carol, '10-switcher-after');
  });

  it('a crafted request for another tenant’s id through a route handler answers 404', async () => {
    const alice = await userPage('alice@acme.test');
    const globexProject = await admin.project.findFirstOrThrow({ where: { tenantId: GLOBEX.id } });
    const acmeProject = await admin.project.findFirstOrThrow({ where: { tenantId: ACME.id } });
    const foreign = await alice.request.get(`/api/projects/${globexProject.id}`);
    expect(foreign.status()).toBe(404);
    expect(await foreign.text()).not.toContain(globexProject.name);
    expect((await alice.request.get(`/api/projects/${acmeProject.id}`)).status()).toBe(200);
    // A forged tenant cookie is refused: membership is checked on every request.
    await alice.context().addCookies([{ name: 'tenantry_tenant', value: GLOBEX.id, url: alice.url() }]);
    expect((await alice.request.get('/api/workspaces')).status()).toBe(403);
    await goto(alice, '/workspaces');
    await alice.waitForURL('**/sign-in?reason=tenant');
    await expectTitle(alice);
  });
});
