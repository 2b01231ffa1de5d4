// End to end without a browser: the parts of a real `dupa serve` that the web UI does not open, which the native
// executable (test.sh runs these tests against it too) must serve as the JIT build does: the OpenAPI document, the
// API reference page, problem+json for an unknown route, and the health checks.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';
import { startNode } from './node.mjs';

let node;

before(async () => {
  node = await startNode();
});

after(async () => {
  await node?.stop();
});

// The node's certificate is its own (self-signed), as on a fresh install.
function get(path) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, node.url), { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] ?? '', body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('health, the OpenAPI document, the API reference page and problem+json', async () => {
  const health = await get('/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });

  const document = await get('/openapi/v1.json');
  assert.equal(document.status, 200, node.log());
  const openapi = JSON.parse(document.body);
  assert.match(openapi.openapi, /^3\./);
  assert.ok(openapi.paths['/api/v1/vaults'], 'the document lists the vaults endpoint');
  assert.ok(Object.keys(openapi.components.schemas).length > 20, 'the document has the API schemas');

  const reference = await get('/api-docs/index.html');
  assert.equal(reference.status, 200);
  assert.match(reference.body, /swagger/i);

  const missing = await get('/api/v1/no-such-thing');
  assert.equal(missing.status, 404);
  assert.match(missing.type, /^application\/problem\+json/);
  assert.equal(JSON.parse(missing.body).code, 'not_found');
});
