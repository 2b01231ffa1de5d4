// End to end: sharing a vault with a second user, and a public link opened by someone without an account, in
// Debian's Chromium against a real `dupa serve` (docs/sharing.md). The link page is also checked at 390 px.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { repo, startNode } from './node.mjs';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(repo, 'web/test-results/share');
const ann = { name: 'ann', password: 'correct horse battery' };
const bob = { name: 'bob', password: 'bob staple battery' };
let node;
const open = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  node = await startNode();
});

after(async () => {
  for (const b of open) await b.close().catch(() => {});
  await node?.stop();
});

async function browser(viewport = { width: 1280, height: 900 }, mobile = false) {
  const profile = mkdtempSync(join(tmpdir(), 'dupa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport, isMobile: mobile, hasTouch: mobile,
    ignoreHTTPSErrors: true, acceptDownloads: true, baseURL: node.url,
  });
  context.setDefaultTimeout(15_000);
  const problems = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  const handle = {
    context, page, problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  open.push(handle);
  return handle;
}

async function logIn(page, who) {
  await page.goto('/');
  await page.getByRole('heading', { name: 'Log in to D.U.P.A' }).waitFor();
  await page.getByLabel('Username').fill(who.name);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Your vaults' }).waitFor();
}

test('a vault shared with a second user, and a link opened without an account', async () => {
  const content = randomBytes(300_000);
  const admin = await browser();
  // The node's first account, a second user, and a vault with a file, through the API.
  const api = admin.context.request;
  assert.equal((await api.post('/api/v1/auth/setup', { data: { token: node.token, username: ann.name, password: ann.password } })).status(), 201);
  const login = await (await api.post('/api/v1/auth/login', { data: { username: ann.name, password: ann.password } })).json();
  const auth = { Authorization: `Bearer ${login.accessToken}` };
  assert.equal((await api.post('/api/v1/users', { headers: auth, data: { username: bob.name, password: bob.password } })).status(), 201);
  const vault = await (await api.post('/api/v1/vaults', { headers: auth, data: { name: 'Family', passphrase: 'vault passphrase' } })).json();
  assert.equal((await api.post(`/api/v1/vaults/${vault.id}/unlock`, { headers: auth, data: { passphrase: 'vault passphrase' } })).status(), 204);
  assert.equal((await api.put(`/api/v1/vaults/${vault.id}/files/Trip/photo.bin`, { headers: auth, data: content })).status(), 201);

  // Ann shares the vault with bob in the sharing dialog (the API login above left her session cookie in this browser).
  const { page } = admin;
  await page.goto('/');
  await page.getByRole('heading', { name: 'Your vaults' }).waitFor();
  await page.getByRole('button', { name: 'Sharing of Family' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Share with (username)').fill(bob.name);
  await dialog.getByLabel('Role for the new member').selectOption('viewer');
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  // Bob's row also says an admin chose his password (he has not changed it).
  await dialog.getByRole('cell', { name: `${bob.name}password set by admin` }).waitFor();
  await dialog.getByText(/share\.added bob \(viewer\)/).waitFor();

  // And makes a link to the file.
  await dialog.getByLabel('File or folder').fill('/Trip/photo.bin');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const url = (await dialog.getByLabel('New link').textContent()).trim();
  assert.match(url, /\/s\/[A-Za-z0-9_-]{43}$/);
  await dialog.getByText(/0 uses/).waitFor();
  await page.screenshot({ path: join(artifacts, 'sharing-dialog.png'), fullPage: true });

  // Bob logs in and sees the vault, shared by ann, and its file.
  const second = await browser();
  await logIn(second.page, bob);
  await second.page.getByText('Shared by ann · viewer').waitFor();
  await second.page.getByRole('link', { name: 'Open files' }).click();
  await second.page.getByRole('button', { name: 'Trip', exact: true }).click();
  await second.page.getByText('photo.bin').first().waitFor();
  // A viewer is offered no upload (the node would refuse it with 403).
  await second.page.getByRole('button', { name: 'Upload files' }).waitFor({ state: 'detached' });
  await second.page.screenshot({ path: join(artifacts, 'bob-files.png'), fullPage: true });

  // Someone without an account opens the link on a phone and downloads the file.
  const visitor = await browser({ width: 390, height: 844 }, true);
  await visitor.page.goto(url);
  await visitor.page.getByRole('heading', { name: 'photo.bin' }).waitFor();
  const [download] = await Promise.all([visitor.page.waitForEvent('download'), visitor.page.getByRole('link', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'photo.bin');
  assert.deepEqual(readFileSync(await download.path()), content);
  assert.ok(await visitor.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
  await visitor.page.screenshot({ path: join(artifacts, '390-link.png'), fullPage: true });

  // The owner sees the use; after revoking, the link page says it is gone.
  await page.goto('/settings');
  await page.getByRole('region', { name: 'Links you made' }).getByText(/Family \/Trip\/photo\.bin .* 1 uses/).waitFor();
  await page.goto('/');
  await page.getByRole('button', { name: 'Sharing of Family' }).click();
  await page.getByRole('dialog').getByText(/1 uses/).waitFor();
  await page.getByRole('dialog').getByRole('button', { name: /^Revoke link/ }).click();
  await page.getByRole('dialog').getByText(/revoked/).first().waitFor();
  await visitor.page.reload();
  await visitor.page.getByRole('alert').getByText('This link does not exist, or it has expired or been revoked.').waitFor();

  // The owner can also make a link from a file's panel; it works like the first.
  await page.goto(`/v/${vault.id}/files/Trip`);
  await page.getByRole('button', { name: 'photo.bin' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Make a link' }).click();
  const panelUrl = (await page.getByRole('dialog').getByLabel('New link').textContent()).trim();
  const viaPanel = await visitor.context.request.get(panelUrl.replace('/s/', '/api/v1/links/') + '/files/');
  assert.deepEqual(Buffer.from(await viaPanel.body()), content);

  // A file drop on the phone: the visitor sends a file and sees nothing of the folder; the owner gets it.
  const drop = await (await api.post(`/api/v1/vaults/${vault.id}/links`, { headers: auth, data: { path: '/Trip', kind: 'drop' } })).json();
  await visitor.page.goto(drop.url);
  await visitor.page.getByRole('heading', { name: 'Send files to Trip' }).waitFor();
  assert.equal(await visitor.page.getByText('photo.bin').count(), 0);
  await visitor.page.getByLabel('Files to send').setInputFiles({ name: 'dropped.txt', mimeType: 'text/plain', buffer: Buffer.from('from a phone') });
  await visitor.page.getByRole('button', { name: 'Send 1 file' }).click();
  await visitor.page.getByText('Sent: dropped.txt').waitFor();
  await visitor.page.screenshot({ path: join(artifacts, '390-drop.png'), fullPage: true });
  assert.equal(await (await api.get(`/api/v1/vaults/${vault.id}/files/Trip/dropped.txt`, { headers: auth })).text(), 'from a phone');

  for (const b of [admin, second, visitor]) assert.deepEqual(b.problems, []);
});

test('an admin resets a password, and the vault shared with that user asks to be shared again', async () => {
  const carol = { name: 'carol', password: 'carol first password' };
  const admin = await browser();
  const api = admin.context.request;
  // The first test made ann the admin; alone, this one does it.
  await api.post('/api/v1/auth/setup', { data: { token: node.token, username: ann.name, password: ann.password } });
  const login = await (await api.post('/api/v1/auth/login', { data: { username: ann.name, password: ann.password } })).json();
  const auth = { Authorization: `Bearer ${login.accessToken}` };
  assert.equal((await api.post('/api/v1/users', { headers: auth, data: { username: carol.name, password: carol.password } })).status(), 201);
  const vault = await (await api.post('/api/v1/vaults', { headers: auth, data: { name: 'Work', passphrase: 'work passphrase' } })).json();
  const unlock = () => api.post(`/api/v1/vaults/${vault.id}/unlock`, { headers: auth, data: { passphrase: 'work passphrase' } });
  assert.equal((await unlock()).status(), 204);
  assert.equal((await api.put(`/api/v1/vaults/${vault.id}/files/plan.txt`, { headers: auth, data: 'the plan' })).status(), 201);
  assert.equal((await api.put(`/api/v1/vaults/${vault.id}/members/carol`, { headers: auth, data: { role: 'editor' } })).status(), 201);

  // Ann resets carol's password in Settings; the page says what that costs.
  const { page } = admin;
  await page.goto('/settings');
  const row = page.getByRole('row', { name: /carol/ });
  await row.getByLabel('New password for carol').fill('carol reset password');
  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Reset password' }).click();
  await page.getByText(/1 vault\(s\) shared with them cannot be opened with their new key/).waitFor();
  assert.equal((await api.post(`/api/v1/vaults/${vault.id}/lock`, { headers: auth })).status(), 204);

  // Carol logs in with the new password: the shared vault says to ask ann, and Settings to change the password.
  const second = await browser();
  await logIn(second.page, { name: carol.name, password: 'carol reset password' });
  await second.page.getByText('Needs sharing again').waitFor();
  await second.page.getByText(/Ask ann \(or a manager of it\) to share it with you again/).waitFor();
  assert.equal(await second.page.getByLabel('Your password, to open Work').count(), 0);
  await second.page.screenshot({ path: join(artifacts, 'needs-reshare.png'), fullPage: true });
  await second.page.goto('/settings');
  await second.page.getByText(/An admin chose your current password/).waitFor();
  await second.page.getByLabel('Current password').fill('carol reset password');
  await second.page.getByLabel('New password, at least 8 characters').fill('only carol knows this');
  await second.page.getByLabel('Repeat the new password').fill('only carol knows this');
  await second.page.getByRole('button', { name: 'Change password' }).click();
  await second.page.getByText(/Password changed/).waitFor();

  // Ann shares again from the dialog; then carol opens the vault with her own password, as an editor.
  assert.equal((await unlock()).status(), 204);
  await page.goto('/');
  await page.getByRole('button', { name: 'Sharing of Work' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('needs sharing again').waitFor();
  await dialog.getByRole('button', { name: 'Share again with carol' }).click();
  await dialog.getByText('needs sharing again').waitFor({ state: 'detached' });
  assert.equal((await api.post(`/api/v1/vaults/${vault.id}/lock`, { headers: auth })).status(), 204);
  await second.page.goto('/');
  await second.page.getByLabel('Your password, to open Work').fill('only carol knows this');
  await second.page.getByRole('button', { name: 'Unlock' }).click();
  await second.page.getByRole('link', { name: 'Open files' }).click();
  await second.page.getByRole('button', { name: 'plan.txt' }).click();
  const panel = second.page.getByRole('dialog');
  await panel.getByRole('button', { name: 'Rename or move' }).waitFor();
  // An editor is offered no link (that needs a manager).
  assert.equal(await panel.getByRole('button', { name: 'Make a link' }).count(), 0);

  // Ann rotates the vault key in the dialog; carol, who still has access, is given the new key and reads what
  // was written after it.
  await dialog.getByLabel('Vault passphrase').fill('work passphrase');
  await dialog.getByRole('button', { name: 'Rotate key' }).click();
  await dialog.getByText('Key rotated: new data is sealed under key epoch 1.').waitFor();
  assert.equal((await api.put(`/api/v1/vaults/${vault.id}/files/after.txt`, { headers: auth, data: 'after the rotation' })).status(), 201);
  assert.equal((await api.post(`/api/v1/vaults/${vault.id}/lock`, { headers: auth })).status(), 204);
  await second.page.goto('/');
  await second.page.getByLabel('Your password, to open Work').fill('only carol knows this');
  await second.page.getByRole('button', { name: 'Unlock' }).click();
  await second.page.getByRole('link', { name: 'Open files' }).click();
  await second.page.getByRole('button', { name: 'after.txt' }).waitFor();

  for (const b of [admin, second]) assert.deepEqual(b.problems, []);
});
