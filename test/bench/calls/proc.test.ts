import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import {
  parseKbField,
  parseProcStat,
  processTree,
  treeCpuTicks,
  treeMemory,
} from '../../../bench/calls/proc.ts';

test('parseProcStat: a command name with spaces and parentheses does not shift the fields', () => {
  // Fields 14-15 (utime, stime) = 700 and 300; field 22 (starttime) = 4242; ppid (4) = 1.
  const fields = [
    'S',
    '1',
    ...Array.from({ length: 9 }, () => '0'),
    '700',
    '300',
    ...Array.from({ length: 6 }, () => '0'),
    '4242',
    '0',
  ];
  const line = `1234 (node) (x y) ${fields.join(' ')}`;
  assert.deepEqual(parseProcStat(line), { pid: 1234, ppid: 1, cpuTicks: 1000, startTime: 4242 });
  assert.throws(() => parseProcStat('garbage'), /not a \/proc\/<pid>\/stat line/);
});

test('parseKbField reads a kB line and nothing else', () => {
  const status = 'Name:\tnode\nVmRSS:\t   51234 kB\nPss:    100 kB\n';
  assert.equal(parseKbField(status, 'VmRSS'), 51234);
  assert.equal(parseKbField(status, 'Pss'), 100);
  assert.equal(parseKbField(status, 'VmSwap'), undefined);
});

test('the tree of a process holds its children, and its memory is counted', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise((r) => child.once('spawn', r));
    const tree = processTree(process.pid).map((s) => s.pid);
    assert.equal(tree[0], process.pid);
    assert.ok(tree.includes(child.pid!), 'the child is in the tree');
    assert.deepEqual(
      processTree(child.pid!).map((s) => s.pid),
      [child.pid],
    );
    const mem = treeMemory(process.pid);
    assert.ok(mem.rssKiB > 10_000, `RSS of this node process is ${mem.rssKiB} KiB`);
    assert.ok(mem.pssKiB > 0 && mem.pssKiB <= mem.rssKiB * 1.01);
    assert.ok(treeCpuTicks(process.pid) > 0, 'this process has used CPU');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a PID that does not exist has an empty tree', () => {
  assert.deepEqual(processTree(2 ** 22 + 17), []);
});
