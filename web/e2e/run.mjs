// Runs the end-to-end tests with node's test runner; the UI must be built (npm run build).
import { spawnSync } from 'node:child_process';
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...process.argv.slice(2), 'e2e/'], { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
process.exit(result.status ?? 1);
