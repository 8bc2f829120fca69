/**
 * `duet/cti` is usable from plain Node (no tsx): the package's build (`npm run build`, also run by `npm ci`
 * through `prepare`) emits dist/, and `import('duet/cti')` / `import('duet')` resolve through package.json
 * `exports`. The built library then registers on a real server and queries it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/processes.ts';
import { APP, APP_PASSWORD, type CtiServer, startCtiServer } from './cti-harness.ts';

let server: CtiServer | undefined;
after(async () => {
  await server?.stop();
});

function node(script: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the build emits dist/ and plain node imports duet/cti', () => {
  const build = spawnSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `${build.stdout}${build.stderr}`);
  const r = node(
    "const cti = await import('duet/cti'); const main = await import('duet');" +
      'console.log(JSON.stringify({ client: typeof cti.CtiClient, error: typeof cti.CtiError, ' +
      'same: main.CtiClient === cti.CtiClient, invalidDn: cti.CtiErrorCodes.InvalidDn }));',
  );
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(JSON.parse(r.out.trim()), {
    client: 'function',
    error: 'function',
    same: true,
    invalidDn: 46,
  });
});

test('the built library talks to a real server under plain node', async () => {
  server = await startCtiServer({ dns: { '1001': { type: 'Extension' } } });
  const r = node(
    `import { CtiClient } from 'duet/cti';
     const c = new CtiClient({ servers: [{ host: '127.0.0.1', port: ${server.ctiPort} }], application: '${APP}', password: '${APP_PASSWORD}' });
     await c.connect();
     const reg = await c.register('1001');
     const info = await c.queryServer();
     let refused = '';
     try { await c.register('4242'); } catch (e) { refused = e.codeName; }
     c.close();
     console.log(JSON.stringify({ reg: reg.message, server: info.ServerName, role: info.ServerRole, refused }));`,
  );
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(JSON.parse(r.out.trim()), {
    reg: 'EventRegistered',
    server: 'S',
    role: 'Primary',
    refused: 'InvalidDn',
  });
});
