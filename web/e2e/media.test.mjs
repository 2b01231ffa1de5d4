// End to end, the heavier parts of the file browser: a large upload that resumes after a page reload, thumbnails
// made once and cached, several files downloaded as one zip, and PDF, audio and video previews. One node and one
// desktop browser for all; the files are generated here (the video is recorded by the browser itself).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { openBrowser } from './browser.mjs';
import { pdf, png, wav } from './files.mjs';
import { repo, startNode } from './node.mjs';

const artifacts = join(repo, 'web/test-results');
const MiB = 1024 * 1024;
let node;
let browser;
let page;
let dir;
let vault;

const shot = (name) => page.screenshot({ path: join(artifacts, `media-${name}.png`), fullPage: true });

/** Writes generated files into a fresh folder of the temporary directory; answers their paths by name. */
function write(files) {
  const folder = mkdtempSync(join(dir, 'f-'));
  return Object.fromEntries(Object.entries(files).map(([name, content]) => {
    writeFileSync(join(folder, name), content);
    return [name, join(folder, name)];
  }));
}

async function openVaultFolder(path) {
  await page.goto(`/v/${vault}/files${path}`);
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).waitFor();
}

async function upload(paths, count) {
  await page.getByLabel('Files to upload').setInputFiles(paths);
  await page.getByRole('heading', { name: new RegExp(`^Uploads · ${count} of ${count} done`) }).waitFor({ timeout: 60_000 });
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'dupa-e2e-media-'));
  node = await startNode();
  browser = await openBrowser(node.url, { width: 1280, height: 860 });
  page = browser.page;
  // The account and the vault through the API (the UI's own setup is covered by ui.test.mjs); the browser context
  // keeps the refresh cookie, so the page starts logged in.
  const user = { username: 'ann', password: 'correct horse battery' };
  const api = browser.context.request;
  assert.equal((await api.post('/api/v1/auth/setup', { data: { token: node.token, ...user } })).ok(), true);
  const login = await (await api.post('/api/v1/auth/login', { data: user })).json();
  const headers = { Authorization: `Bearer ${login.accessToken}` };
  const created = await api.post('/api/v1/vaults', { data: { name: 'Media', passphrase: 'vault passphrase' }, headers });
  vault = (await created.json()).id;
  assert.equal((await api.post(`/api/v1/vaults/${vault}/unlock`, { data: { passphrase: 'vault passphrase' }, headers })).ok(), true);
});

afterEach(async (t) => {
  if (page && t.passed === false) await shot(`failure-${t.name.slice(0, 30).replace(/\W+/g, '-')}`).catch(() => {});
  if (browser?.problems.length) console.error(`browser problems:\n${browser.problems.join('\n')}`);
});

after(async () => {
  await browser?.close();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a large upload interrupted by a reload goes on from where the node stands when the file is picked again', async () => {
  const size = 20 * MiB;
  const content = randomBytes(size);
  const { 'film.bin': file } = write({ 'film.bin': content });
  await openVaultFolder('/');

  // Let two 4 MiB pieces through, then hold the third: the reload cuts it off before it reaches the node.
  const before = [];
  let holding;
  const held = new Promise((resolve) => (holding = resolve));
  await page.route('**/uploads/**', async (route) => {
    const request = route.request();
    if (request.method() !== 'PATCH') return route.continue();
    const offset = Number(await request.headerValue('upload-offset'));
    before.push(offset);
    if (offset >= 8 * MiB) return holding(route);
    return route.continue();
  });
  await page.getByLabel('Files to upload').setInputFiles(file);
  const route = await held;
  await page.getByText('uploading (resumable)').waitFor();
  await page.reload();
  await route.abort().catch(() => {});
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  assert.deepEqual(before, [0, 4 * MiB, 8 * MiB]);

  // After the reload: the same file again. It starts at 8 MiB (40 %), so 12 MiB go out instead of 20.
  const after = [];
  await page.route('**/uploads/**', (route) => {
    const request = route.request();
    if (request.method() === 'PATCH') after.push(Number(request.headers()['upload-offset']));
    return route.continue();
  });
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).waitFor();
  await upload(file, 1);
  await page.getByText('done, resumed at 40%').waitFor();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  assert.deepEqual(after, [8 * MiB, 12 * MiB, 16 * MiB]);
  const sentAfter = size - after[0];
  assert.ok(sentAfter < size, `sent ${sentAfter} bytes after the reload, the whole file is ${size}`);
  await shot('resumed-upload');

  // The node has the whole file, byte for byte.
  await page.getByRole('button', { name: 'film.bin' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('dialog').getByRole('button', { name: 'Download' }).click()]);
  assert.ok(readFileSync(await download.path()).equals(content));
  await page.getByRole('button', { name: 'Close' }).click();
  assert.deepEqual(browser.problems, []);
});

test('grid thumbnails are made once at 256 px and a second visit fetches no full image', async () => {
  const images = write({ 'wide.png': png(640, 400), 'tall.png': png(200, 500) });
  await openVaultFolder('/');
  // The grid before the upload, so that each image is asked for by one tile only (the list has thumbnails too).
  await page.getByLabel('View').selectOption('grid');
  const fullFetches = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && /\/files\/(wide|tall)\.png/.test(r.url())) fullFetches.push(r.url());
  });
  await upload(Object.values(images), 2);
  const loaded = () => page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.tile img')];
    return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
  await loaded();
  // Drawn down to fit 256 px, not the full image.
  const sizes = await page.$$eval('.tile img', (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight]).sort());
  assert.deepEqual(sizes, [[102, 256], [256, 160]]);
  assert.equal(fullFetches.length, 2, `full images fetched: ${fullFetches.join(', ')}`);
  await shot('thumbnails');

  // The second visit: the cached thumbnails, no full image.
  await page.reload();
  await page.getByRole('list', { name: 'Files' }).waitFor();
  await loaded();
  assert.equal(fullFetches.length, 2, `full images fetched again: ${fullFetches.slice(2).join(', ')}`);
  await page.getByLabel('View').selectOption('list');
  assert.deepEqual(browser.problems, []);
});

test('several selected files download as one zip holding each of them (at a phone\'s width)', async (t) => {
  await page.setViewportSize({ width: 390, height: 844 });
  t.after(() => page.setViewportSize({ width: 1280, height: 860 }));
  const files = { 'a.txt': Buffer.from('first file\n'), 'b.txt': Buffer.from('second file\n') };
  const paths = write(files);
  await openVaultFolder('/');
  await upload(Object.values(paths), 2);
  await page.getByRole('checkbox', { name: 'Select a.txt' }).check();
  await page.getByRole('checkbox', { name: 'Select b.txt' }).check();
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Download as zip' }).click()]);
  assert.equal(zip.suggestedFilename(), 'vault (2 items).zip');
  await shot('phone-selection');
  const bytes = readFileSync(await zip.path());
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004');
  // Entries are stored uncompressed: each name and each file's bytes are in the zip as they are.
  for (const [name, content] of Object.entries(files)) {
    assert.ok(bytes.includes(Buffer.from(name)), `${name} is not in the zip`);
    assert.ok(bytes.includes(content), `the bytes of ${name} are not in the zip`);
  }
  await page.getByRole('button', { name: 'Clear selection' }).click();
  assert.deepEqual(browser.problems, []);
});

test('PDF, audio and video previews load in the page', async () => {
  await openVaultFolder('/');
  await page.getByLabel('View').selectOption('list');
  // A second of a moving canvas, recorded as WebM (VP8) by this Chromium: no binary fixture, no proprietary codec.
  const webm = Buffer.from(await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext('2d');
    const recorder = new MediaRecorder(canvas.captureStream(10), { mimeType: 'video/webm;codecs=vp8' });
    const parts = [];
    recorder.ondataavailable = (e) => parts.push(e.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    let frame = 0;
    const timer = setInterval(() => {
      context.fillStyle = `hsl(${(frame++ * 36) % 360} 80% 50%)`;
      context.fillRect(0, 0, 64, 48);
    }, 50);
    recorder.start();
    await new Promise((r) => setTimeout(r, 1000));
    recorder.stop();
    await stopped;
    clearInterval(timer);
    return [...new Uint8Array(await new Blob(parts).arrayBuffer())];
  }));
  assert.ok(webm.length > 100 && webm.length < 64 * 1024, `the recorded video has ${webm.length} bytes`);
  const media = write({ 'doc.pdf': pdf(), 'tone.wav': wav(), 'clip.webm': webm });
  await openVaultFolder('/');
  await upload(Object.values(media), 3);

  const open = async (name) => {
    await page.getByRole('button', { name, exact: true }).click();
    await page.getByRole('dialog').waitFor();
  };
  const close = () => page.getByRole('button', { name: 'Close' }).click();

  await open('doc.pdf');
  const frame = page.getByTitle('PDF: doc.pdf');
  await frame.waitFor();
  // The browser's PDF viewer has the document (a blob: URL of the file's bytes) loaded in the frame.
  const pdfFrame = await (await frame.elementHandle()).contentFrame();
  await pdfFrame.waitForLoadState('load');
  assert.match(pdfFrame.url(), /^blob:/);
  await shot('preview-pdf');
  await close();

  await open('tone.wav');
  await page.waitForFunction(() => {
    const audio = document.querySelector('audio.preview-media');
    return audio && audio.readyState >= 1 && audio.error === null;
  });
  const duration = await page.$eval('audio.preview-media', (a) => a.duration);
  assert.ok(Math.abs(duration - 0.25) < 0.01, `the tone lasts ${duration} s`);
  await page.getByRole('dialog').getByLabel('tone.wav').waitFor();
  await close();

  await open('clip.webm');
  await page.waitForFunction(() => {
    const video = document.querySelector('video.preview-media');
    return video && video.readyState >= 1 && video.error === null && video.videoWidth === 64;
  });
  await shot('preview-video');
  await close();
  assert.deepEqual(browser.problems, []);
});
