// End to end: the built web UI in Debian's Chromium (driven by playwright-core, no browser download) against a
// real `dupa serve`, at a desktop and a phone width. Screenshots of each main page go to web/test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openBrowser } from './browser.mjs';
import { makeFolder } from './files.mjs';
import { repo, startNode } from './node.mjs';

const artifacts = join(repo, 'web/test-results');
const user = { name: 'ann', password: 'correct horse battery' };
let node;
let folder;

before(async () => {
  // Only this file's screenshots: the other e2e files put theirs here too.
  mkdirSync(artifacts, { recursive: true });
  for (const name of readdirSync(artifacts)) if (/^(desktop|phone)-/.test(name)) rmSync(join(artifacts, name));
  folder = makeFolder();
  node = await startNode();
});

after(async () => {
  await node?.stop();
  if (folder) rmSync(folder.root, { recursive: true, force: true });
});

const shot = (page, width, name) => page.screenshot({ path: join(artifacts, `${width}-${name}.png`), fullPage: true });

async function openFolder(page, name) {
  await page.getByRole('button', { name, exact: true }).click();
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByText(name, { exact: true }).waitFor();
}

async function scenario({ label, viewport, mobile, firstRun }) {
  const { context, page, problems, close } = await openBrowser(node.url, viewport, mobile);
  try {
    await page.goto('/');
    if (firstRun) {
      // First run: the node printed a one-time setup token.
      await page.getByRole('heading', { name: 'Set up this node' }).waitFor();
      await shot(page, label, 'setup');
      await page.getByLabel('Setup token').fill(node.token);
      await page.getByLabel('Username').fill(user.name);
      await page.getByLabel('Password (at least 8 characters)').fill(user.password);
      await page.getByLabel('Repeat the password').fill(user.password);
      await page.getByRole('button', { name: 'Create the admin account' }).click();
    } else {
      await page.getByRole('heading', { name: 'Log in to D.U.P.A' }).waitFor();
      await page.getByLabel('Username').fill(user.name);
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').getByText('Wrong username or password.').waitFor();
      await shot(page, label, 'login-error');
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Log in' }).click();
    }

    // A vault: create, keep the recovery key, open.
    await page.getByRole('heading', { name: 'Your vaults' }).waitFor();
    const vaultName = `Family ${label}`;
    await page.getByLabel('Name').fill(vaultName);
    await page.getByLabel('Passphrase', { exact: true }).fill('vault passphrase');
    await page.getByLabel('Repeat the passphrase').fill('vault passphrase');
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByRole('heading', { name: 'Keep this recovery key' }).waitFor();
    assert.match(await page.getByLabel('Recovery key', { exact: true }).textContent(), /\S{20,}/);
    await shot(page, label, 'recovery-key');
    await page.getByRole('link', { name: 'I have kept it; open the vault' }).click();
    await page.getByText('This folder is empty').waitFor();
    const vaultId = /\/v\/([^/]+)\/files/.exec(page.url())[1];
    const beforeUpload = new Date(Date.now() - 1000).toISOString();

    // Lock and unlock from the vault list.
    await page.getByRole('link', { name: 'Vaults', exact: true }).first().click();
    const card = page.getByRole('listitem').filter({ hasText: vaultName });
    await card.getByRole('button', { name: 'Lock' }).click();
    await card.getByText('Locked').waitFor();
    await card.getByLabel(`Passphrase for ${vaultName}`).fill('not it');
    await card.getByRole('button', { name: 'Unlock' }).click();
    await card.getByRole('alert').getByText(/does not unlock this vault/).waitFor();
    await card.getByLabel(`Passphrase for ${vaultName}`).fill('vault passphrase');
    await card.getByRole('button', { name: 'Unlock' }).click();
    await card.getByText('Unlocked').waitFor();
    await shot(page, label, 'vaults');
    await card.getByRole('link', { name: 'Open files' }).click();

    // Upload a whole folder (the big file goes through a resumable session).
    await page.getByLabel('Folder to upload').setInputFiles(folder.dir);
    await page.getByRole('heading', { name: /^Uploads · 4 of 4 done/ }).waitFor({ timeout: 60_000 });
    await openFolder(page, 'Trip');
    await page.getByRole('button', { name: 'photo.png' }).waitFor();
    await shot(page, label, 'files-list');
    await openFolder(page, 'day 2');
    await page.getByRole('button', { name: 'żółw.txt' }).waitFor();
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Trip' }).click();

    // Grid view with an image thumbnail fetched through the download endpoint.
    await page.getByLabel('View').selectOption('grid');
    const thumb = page.locator('.tile img');
    await thumb.waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('.tile img')].every((i) => i.complete && i.naturalWidth > 0));
    await shot(page, label, 'files-grid');
    await page.getByLabel('View').selectOption('list');

    // Preview the image; download it and compare its bytes.
    await page.getByRole('button', { name: 'photo.png' }).click();
    const preview = page.getByRole('dialog').getByRole('img', { name: 'photo.png' });
    await preview.waitFor();
    await page.waitForFunction(() => document.querySelector('.preview-image')?.naturalWidth === 320);
    await shot(page, label, 'preview');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('dialog').getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'photo.png');
    assert.deepEqual(readFileSync(await download.path()), folder.files['photo.png']);
    await page.getByRole('button', { name: 'Close' }).click();

    // Download the folder as a zip.
    const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download folder' }).click()]);
    assert.equal(zip.suggestedFilename(), 'Trip.zip');
    const zipped = readFileSync(await zip.path());
    assert.equal(zipped.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004');
    assert.ok(zipped.length > folder.files['day 2/video.bin'].length);

    // Delete to the trash, then restore.
    await page.getByRole('checkbox', { name: 'Select notes.txt' }).check();
    await page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'notes.txt' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Trash' }).click();
    const trashed = page.getByTestId('trash-row').filter({ hasText: '/Trip/notes.txt' });
    await trashed.waitFor();
    await shot(page, label, 'trash');
    await trashed.getByRole('button', { name: 'Restore /Trip/notes.txt' }).click();
    await page.getByText('The trash is empty.').waitFor();
    await page.goto(`/v/${vaultId}/files/Trip`);
    await page.getByRole('button', { name: 'notes.txt' }).waitFor();

    // A new version by uploading over it, then restore the first one from the versions panel.
    await page.getByLabel('Files to upload').setInputFiles(folder.editedNotes);
    // The page was reloaded, so the tray holds only this upload.
    await page.getByRole('heading', { name: /^Uploads · 1 of 1 done/ }).waitFor();
    await page.getByRole('button', { name: 'notes.txt' }).click();
    await page.getByLabel('Contents of notes.txt').getByText('and more').waitFor();
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Version 3').waitFor();
    await shot(page, label, 'versions');
    await page.getByRole('tab', { name: 'Preview' }).click();
    await page.getByLabel('Contents of notes.txt').getByText('Packing list: tent, stove, maps.').waitFor();

    // Rename it.
    await page.getByRole('button', { name: 'Rename or move' }).click();
    await page.getByLabel('New path (or just a new name)').fill('packing.txt');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByRole('button', { name: 'packing.txt' }).waitFor();
    await page.getByRole('button', { name: 'notes.txt' }).waitFor({ state: 'detached' });

    // Search by sniffed type, tag a hit in place, then find it by its tag.
    await page.goto(`/v/${vaultId}/search`);
    await page.getByRole('searchbox').fill('type:image');
    const results = page.getByRole('list', { name: 'Results' });
    await results.getByRole('link', { name: '/Trip/photo.png' }).waitFor();
    await page.getByLabel('Add a tag to /Trip/photo.png').fill('holiday');
    await page.getByLabel('Add a tag to /Trip/photo.png').press('Enter');
    await page.getByRole('button', { name: 'Remove tag holiday from /Trip/photo.png' }).waitFor();
    await page.getByRole('searchbox').fill('#holiday');
    await page.getByText('1 found').waitFor();
    await shot(page, label, 'search');

    // Time travel: before the upload the vault was empty.
    await page.goto(`/v/${vaultId}/files/?at=${encodeURIComponent(beforeUpload)}`);
    await page.getByText(/Showing this folder as it was on/).waitFor();
    await page.getByText('This folder is empty').waitFor();
    await shot(page, label, 'time-travel');
    await page.getByRole('link', { name: 'Back to now' }).click();
    await page.getByRole('button', { name: 'Trip', exact: true }).waitFor();

    // The dashboard changes live when a file is deleted in another tab.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const stats = page.getByRole('region', { name: vaultName });
    await stats.getByTestId('stat-files').getByText('4').waitFor();
    await page.getByText('live', { exact: true }).waitFor();
    const other = await context.newPage();
    await other.goto(`/v/${vaultId}/files/Trip/day%202`);
    await other.getByRole('checkbox', { name: 'Select żółw.txt' }).check();
    await other.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Delete' }).click();
    await other.getByRole('button', { name: 'żółw.txt' }).waitFor({ state: 'detached' });
    await other.close();
    await page.getByTestId('activity').getByText('/Trip/day 2/żółw.txt').waitFor();
    await stats.getByTestId('stat-files').getByText('3').waitFor();
    await shot(page, label, 'dashboard');

    // Settings: an API token, shown once.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Token name').fill(`script ${label}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    assert.match(await page.getByLabel('New API token').textContent(), /^dupa_/);
    await page.getByRole('button', { name: `Revoke token script ${label}` }).waitFor();
    // Change the password (a wrong current one is refused), then back, so the other run can log in.
    for (const [from, to] of [['not the password', 'irrelevant-123'], [user.password, 'a changed password'], ['a changed password', user.password]]) {
      await page.getByLabel('Current password').fill(from);
      await page.getByLabel('New password, at least 8 characters').fill(to);
      await page.getByLabel('Repeat the new password').fill(to);
      await page.getByRole('button', { name: 'Change password' }).click();
      if (from === 'not the password') await page.getByRole('alert').getByText(/current password is wrong/i).waitFor();
      else await page.getByRole('status').getByText('Password changed.', { exact: false }).waitFor();
    }
    // This node's device ID, for peers to pin, in its checkable form.
    assert.match(await page.getByLabel('Device ID', { exact: true }).textContent(), /^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$/);
    if (firstRun) {
      // The admin's side: a user with a quota, and an invite.
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password (at least 8 characters)').fill('bob-password');
      await page.getByLabel('Quota in GiB (empty: none)').fill('1');
      await page.getByRole('button', { name: 'Add user' }).click();
      await page.getByRole('row').filter({ hasText: 'bob' }).getByText('1.0 GiB').waitFor();
      await page.getByRole('button', { name: 'Create invite' }).click();
      assert.match(await page.getByLabel('Invite code').textContent(), /^[0-9a-f]{32}$/);
      // A pairing code for another node.
      await page.getByRole('button', { name: 'Make a pairing code' }).click();
      assert.match(await page.getByLabel('Pairing code', { exact: true }).textContent(), /^dupa-invite:/);
    }
    await shot(page, label, 'settings');

    // Log out: a reload then shows the login page (the refresh cookie is gone).
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to D.U.P.A' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in to D.U.P.A' }).waitFor();
    await shot(page, label, 'login');

    assert.deepEqual(problems, []);
  } catch (error) {
    await shot(page, label, 'failure').catch(() => {});
    if (problems.length) console.error(`${label}: browser problems:\n${problems.join('\n')}`);
    throw error;
  } finally {
    await close();
  }
}

test('desktop: set up, vault, upload a folder, preview, download, trash, versions, time travel, dashboard, settings', () =>
  scenario({ label: 'desktop', viewport: { width: 1280, height: 860 }, mobile: false, firstRun: true }));

test('phone: the same on a 390 px wide touch screen', () =>
  scenario({ label: 'phone', viewport: { width: 390, height: 844 }, mobile: true, firstRun: false }));
