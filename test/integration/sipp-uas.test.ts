/**
 * Real peer (issue: foundation): sipp, a real process on loopback, talks to the minimal UAS built on sip/
 * (`duet uas`), over UDP and TCP: OPTIONS, and INVITE dialogs (INVITE/100/180/200/ACK/BYE/200).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { repoRoot, runSipp, type Started, startDuet } from '../helpers/processes.ts';
import { skipUnless } from '../helpers/tools.ts';

const skip = skipUnless('sipp');

describe('sipp against the sip/ UAS', { skip }, () => {
  let uas: Started;
  let port = 0;

  before(async () => {
    uas = startDuet(['uas', '--host', '127.0.0.1', '--port', '0']);
    const line = await uas.waitFor(/"listening"/);
    port = (JSON.parse(line) as { listening: { port: number } }).listening.port;
  });

  after(async () => {
    await uas?.stop();
  });

  test('OPTIONS over UDP is answered 200', async () => {
    const r = await runSipp([
      '-sf',
      `${repoRoot}/test/integration/sipp/options.xml`,
      '-m',
      '5',
      `127.0.0.1:${port}`,
    ]);
    assert.equal(r.code, 0, r.stderr || r.stdout);
    assert.equal(r.stats['SuccessfulCall(C)'], '5');
    assert.equal(r.stats['FailedCall(C)'], '0');
  });

  test('20 INVITE dialogs over UDP complete (INVITE/180/200/ACK/BYE/200)', async () => {
    const r = await runSipp(['-sn', 'uac', '-m', '20', '-r', '20', '-d', '100', `127.0.0.1:${port}`]);
    assert.equal(r.code, 0, r.stderr || r.stdout);
    assert.equal(r.stats['SuccessfulCall(C)'], '20');
    assert.equal(r.stats['FailedCall(C)'], '0');
    const byes = uas.lines.filter((l) => l.includes('"kind":"bye"')).length;
    assert.ok(byes >= 20, `the UAS saw ${byes} BYEs`);
  });

  test('INVITE dialogs and OPTIONS over TCP complete', async () => {
    const dialogs = await runSipp(['-sn', 'uac', '-t', 't1', '-m', '10', '-r', '10', `127.0.0.1:${port}`]);
    assert.equal(dialogs.code, 0, dialogs.stderr || dialogs.stdout);
    assert.equal(dialogs.stats['SuccessfulCall(C)'], '10');
    const options = await runSipp([
      '-sf',
      `${repoRoot}/test/integration/sipp/options.xml`,
      '-t',
      't1',
      '-m',
      '3',
      `127.0.0.1:${port}`,
    ]);
    assert.equal(options.code, 0, options.stderr || options.stdout);
    assert.equal(options.stats['SuccessfulCall(C)'], '3');
  });
});
