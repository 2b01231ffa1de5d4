// Starts a real `dupa serve` for the end-to-end tests: HTTPS on 127.0.0.1 with a free port, a temporary data
// directory, cheap Argon2 costs, and the built web UI. Resolves with its address and the printed setup token.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');
// The JIT build beside the sources, or a published executable named by DUPA_TEST_EXECUTABLE (test.sh runs both).
const published = process.env.DUPA_TEST_EXECUTABLE;
const binary = published ? resolve(published) : join(repo, 'src/Dupa.Cli/bin/Release/net10.0/dupa');

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export async function startNode() {
  if (!published && !existsSync(binary)) {
    const build = spawnSync('dotnet', ['build', join(repo, 'src/Dupa.Cli'), '-c', 'Release', '--nologo', '-v', 'quiet'], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('building the dupa CLI failed');
  }
  if (!existsSync(join(repo, 'web/dist/index.html'))) throw new Error('build the web UI first: npm run build');
  const data = mkdtempSync(join(tmpdir(), 'dupa-e2e-'));
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const peerPort = await freePort();
  const child = spawn(binary, ['serve', '--data', data, '--urls', url, '--web-root', join(repo, 'web/dist'), '--peer-listen', `127.0.0.1:${peerPort}`], {
    env: {
      ...process.env,
      DUPA_ADMIN_USER: '', DUPA_ADMIN_PASSWORD: '',
      Dupa__PasswordHashIterations: '1', Dupa__PasswordHashMemoryKiB: '8',
      Dupa__VaultKdfIterations: '1', Dupa__VaultKdfMemoryKiB: '8',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  const token = await new Promise((resolveToken, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (d) => {
      output += d;
      const found = /setup token ([0-9a-f]{32})/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolveToken(found[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the node exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    token,
    log: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(data, { recursive: true, force: true });
    },
  };
}
