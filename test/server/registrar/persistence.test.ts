/**
 * The persistent contact store (SPEC S2.4): memory and sqlite implementations, following the store's records,
 * and restoring after a restart with no peer.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';
import type { Contact } from '../../../src/model/contact.ts';
import { Store } from '../../../src/model/store/store.ts';
import { attachPersistence, restoreContacts } from '../../../src/server/registrar/attach-persistence.ts';
import {
  type ContactPersistence,
  MemoryContactPersistence,
} from '../../../src/server/registrar/persistence.ts';
import { SqliteContactPersistence } from '../../../src/server/registrar/sqlite-persistence.ts';
import { parseStoredContact } from '../../../src/server/registrar/stored-contact.ts';
import { ManualClock } from '../../sip/transaction/helpers.ts';
import { bench, register } from './harness.ts';

const T0 = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'duet-contacts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const newFile = (): string => join(dir, `sub-${++fileNo}`, 'contacts.db');

function contact(over: Partial<Contact> = {}): Contact {
  return {
    aor: '1002',
    uri: 'sip:1002@10.1.1.7:5060',
    expiresAt: T0 + 3_600_000,
    callId: 'c1',
    cseq: 1,
    q: 1,
    source: { transport: 'UDP', host: '198.51.100.7', port: 40000 },
    registeredAt: T0,
    ...over,
  };
}

const implementations: [string, () => ContactPersistence][] = [
  ['memory', () => new MemoryContactPersistence()],
  ['sqlite', () => new SqliteContactPersistence(newFile())],
];

for (const [name, make] of implementations) {
  describe(`${name} persistence`, () => {
    test('put, replace by (aor, uri), remove, loadAll', () => {
      const p = make();
      p.put(contact());
      p.put(contact({ uri: 'sip:desk@10.1.1.8', q: 0.5 }));
      p.put(contact({ aor: '1001' }));
      p.put(contact({ cseq: 2, expiresAt: T0 + 7_200_000 }));
      p.remove('1001', 'sip:1002@10.1.1.7:5060');
      p.remove('nobody', 'sip:x@y');
      const all = p.loadAll().sort((a, b) => a.uri.localeCompare(b.uri));
      assert.deepEqual(all, [
        contact({ cseq: 2, expiresAt: T0 + 7_200_000 }),
        contact({ uri: 'sip:desk@10.1.1.8', q: 0.5 }),
      ]);
      p.close();
    });

    test('stored bindings are copies: changing the caller object changes nothing stored', () => {
      const p = make();
      const c = contact();
      p.put(c);
      c.source.port = 1;
      c.cseq = 99;
      assert.deepEqual(p.loadAll(), [contact()]);
      p.close();
    });
  });
}

describe('sqlite file', () => {
  test('survives close and reopen (a restart), in WAL mode', () => {
    const file = newFile();
    const p = new SqliteContactPersistence(file);
    p.put(contact());
    p.put(contact({ uri: 'sip:b@10.1.1.9', source: { transport: 'TCP', host: '203.0.113.1', port: 5070 } }));
    assert.ok(existsSync(`${file}-wal`), 'WAL journal in use');
    p.close();
    const again = new SqliteContactPersistence(file);
    assert.equal(again.loadAll().length, 2);
    assert.deepEqual(again.loadAll().find((c) => c.uri === 'sip:b@10.1.1.9')!.source, {
      transport: 'TCP',
      host: '203.0.113.1',
      port: 5070,
    });
    again.close();
  });

  test('an unusable path is refused with a message naming the file', () => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const file = join(notADir, 'contacts.db');
    assert.throws(
      () => new SqliteContactPersistence(file),
      (e: Error) => {
        assert.ok(e.message.startsWith(`contact store ${file}: cannot open: `), e.message);
        return true;
      },
    );
  });

  test('a damaged row is refused with a reason, deleted, and does not hide the good ones', async () => {
    const file = newFile();
    const p = new SqliteContactPersistence(file);
    p.put(contact());
    p.close();
    // Damage the file the way a hand edit would, through sqlite itself.
    const { createRequire } = await import('node:module');
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (
      f: string,
    ) => { exec(s: string): void; close(): void };
    const raw = new Sqlite(file);
    raw.exec(
      `INSERT INTO contacts VALUES ('1001', 'sip:x@y', 0, '{"aor":"1001"}'), ('1003', 'sip:z@y', 0, 'not json')`,
    );
    raw.close();
    const q = new SqliteContactPersistence(file);
    assert.deepEqual(q.loadAll(), [contact()]);
    assert.deepEqual(
      q.rejectedRows.map((r) => r.aor),
      ['1001', '1003'],
    );
    assert.match(q.rejectedRows[0]!.error, /uri must be a non-empty string/);
    assert.match(q.rejectedRows[1]!.error, /not JSON/);
    q.loadAll();
    assert.deepEqual(q.rejectedRows, [], 'the damaged rows were deleted');
    q.close();
  });
});

describe('parseStoredContact', () => {
  test('accepts a contact as written and refuses bad fields by name', () => {
    assert.deepEqual(parseStoredContact(JSON.stringify(contact())), { ok: true, contact: contact() });
    const bad = parseStoredContact(
      JSON.stringify({ ...contact(), q: 2, source: { transport: 'SCTP', host: 'h', port: 0 } }),
    );
    assert.equal(bad.ok, false);
    assert.match(
      !bad.ok ? bad.error : '',
      /q is out of range; source.transport must be UDP or TCP; source.port/,
    );
  });
});

describe('attachPersistence and restoreContacts', () => {
  test('every ContactBound / ContactRemoved the registrar commits reaches the file', () => {
    const b = bench();
    const p = new SqliteContactPersistence(newFile());
    const detach = attachPersistence(b.store, p);
    register(b, { contacts: ['<sip:a@10.1.1.1>', '<sip:b@10.1.1.2>'] });
    register(b, { contacts: ['<sip:a@10.1.1.1>;expires=0'], cseq: 2 });
    assert.deepEqual(
      p.loadAll().map((c) => c.uri),
      ['sip:b@10.1.1.2'],
    );
    assert.deepEqual(p.loadAll(), b.store.allContacts());
    detach();
    register(b, { contacts: ['<sip:c@10.1.1.3>'], cseq: 3 });
    assert.equal(p.loadAll().length, 1, 'detached: no more writes');
    p.close();
  });

  test('expiry removals reach the file too', () => {
    const b = bench();
    const p = new MemoryContactPersistence();
    attachPersistence(b.store, p);
    b.registrar.start();
    register(b, { expires: 60 });
    assert.equal(p.size, 1);
    b.clock.advance(60_000);
    assert.equal(p.size, 0);
  });

  test('after a restart with no peer: unexpired bindings come back, expired rows are deleted', () => {
    const file = newFile();
    // First life of the server.
    const first = bench();
    const p1 = new SqliteContactPersistence(file);
    attachPersistence(first.store, p1);
    register(first, { contacts: ['<sip:short@10.1.1.1>'], expires: 60 });
    register(first, { contacts: ['<sip:long@10.1.1.2>'], expires: 3600, callId: 'l', cseq: 1 });
    register(first, { dn: '2001', expires: 600 });
    p1.close(); // killed: no expiry ran

    // Second life, 10 minutes later, with an empty store.
    const clock = new ManualClock(T0 + 600_000);
    const lines: string[] = [];
    const logger = createLogger({ app: 'SIP_A', level: 'all', destination: { write: (l) => lines.push(l) } });
    const store = new Store();
    const p2 = new SqliteContactPersistence(file);
    const result = restoreContacts(store, p2, clock.now(), { logger });
    assert.deepEqual(result, { restored: 1, dropped: 2 });
    assert.deepEqual(
      store.allContacts().map((c) => [c.aor, c.uri, c.expiresAt]),
      [['1002', 'sip:long@10.1.1.2', T0 + 3_600_000]],
    );
    assert.deepEqual(
      p2.loadAll().map((c) => c.uri),
      ['sip:long@10.1.1.2'],
    );
    const logged = lines.map((l) => JSON.parse(l)).filter((e) => e.event === '10-40021');
    assert.deepEqual(logged[0].params, { restored: 1, dropped: 2 });

    // The restarted registrar keeps expiring on the absolute times.
    const second = bench({ store, clock });
    second.registrar.start();
    second.clock.advance(3_600_000 - 600_000 - 1);
    assert.equal(store.contactCount, 1);
    second.clock.advance(1);
    assert.equal(store.contactCount, 0);
    p2.close();
  });

  test('restore keeps a newer binding the store already holds (e.g. from the peer)', () => {
    const p = new MemoryContactPersistence();
    p.put(contact({ registeredAt: T0, cseq: 1 }));
    const store = new Store();
    store.commit({ type: 'ContactBound', contact: contact({ registeredAt: T0 + 5000, cseq: 2 }) });
    const result = restoreContacts(store, p, T0 + 10_000);
    assert.deepEqual(result, { restored: 0, dropped: 0 });
    assert.equal(store.allContacts()[0]!.cseq, 2);
  });

  test('a failing write is logged (10-40020) and does not break the commit', () => {
    const store = new Store();
    const lines: string[] = [];
    const logger = createLogger({ app: 'SIP_A', level: 'all', destination: { write: (l) => lines.push(l) } });
    const p = new MemoryContactPersistence();
    p.close();
    attachPersistence(store, p, { logger });
    store.commit({ type: 'ContactBound', contact: contact() });
    assert.equal(store.contactCount, 1);
    const logged = lines.map((l) => JSON.parse(l)).filter((e) => e.event === '10-40020');
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0].params, {
      operation: 'write',
      dn: '1002',
      contact: 'sip:1002@10.1.1.7:5060',
      reason: 'contact store is closed',
    });
  });
});
