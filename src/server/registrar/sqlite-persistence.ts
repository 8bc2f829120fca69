/**
 * The contact store on disk (SPEC S2.4), on better-sqlite3: one table keyed by (aor, uri), the binding as JSON
 * plus its expiry time in a column of its own (so that expired rows can be found without reading JSON).
 *
 * - WAL journal with synchronous=NORMAL: a commit survives the process being killed (what an HA pair must
 *   survive); only a power cut may lose the last few writes, which the phones' next refreshes restore.
 * - Statements are prepared once; every call is synchronous, like the store listener that makes it.
 * - This is an I/O adapter of server/ (the one place besides the HTTP server allowed to touch the disk).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Contact } from '../../model/contact.ts';
import type { ContactPersistence } from './persistence.ts';
import { parseStoredContact } from './stored-contact.ts';

/** The part of better-sqlite3's API used here (the package ships no types, and @types is not installed). */
interface Statement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
}
interface Database {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  close(): void;
  readonly open: boolean;
}
type DatabaseConstructor = new (file: string) => Database;

const SCHEMA_VERSION = 1;

export class SqliteContactPersistence implements ContactPersistence {
  readonly file: string;
  /** Rows the last loadAll could not read (and deleted), with the reason: for the log. */
  rejectedRows: { aor: string; uri: string; error: string }[] = [];
  private readonly db: Database;
  private readonly putStmt: Statement;
  private readonly removeStmt: Statement;
  private readonly allStmt: Statement;

  constructor(file: string) {
    this.file = file;
    let db: Database;
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      const Sqlite = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
      db = new Sqlite(file);
    } catch (e) {
      throw new Error(`contact store ${file}: cannot open: ${(e as Error).message}`);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(`schema version ${version} is newer than this Duet's ${SCHEMA_VERSION}`);
      }
      db.exec(`CREATE TABLE IF NOT EXISTS contacts (
        aor TEXT NOT NULL,
        uri TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        contact TEXT NOT NULL,
        PRIMARY KEY (aor, uri)
      ) WITHOUT ROWID`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      this.putStmt = db.prepare(
        `INSERT INTO contacts (aor, uri, expires_at, contact) VALUES (?, ?, ?, ?)
         ON CONFLICT (aor, uri) DO UPDATE SET expires_at = excluded.expires_at, contact = excluded.contact`,
      );
      this.removeStmt = db.prepare('DELETE FROM contacts WHERE aor = ? AND uri = ?');
      this.allStmt = db.prepare('SELECT aor, uri, contact FROM contacts ORDER BY aor, uri');
    } catch (e) {
      db.close();
      throw new Error(`contact store ${file}: ${(e as Error).message}`);
    }
    this.db = db;
  }

  loadAll(): Contact[] {
    const out: Contact[] = [];
    this.rejectedRows = [];
    for (const row of this.allStmt.all() as { aor: string; uri: string; contact: string }[]) {
      const parsed = parseStoredContact(row.contact);
      if (parsed.ok && parsed.contact.aor === row.aor && parsed.contact.uri === row.uri)
        out.push(parsed.contact);
      else {
        this.rejectedRows.push({
          aor: row.aor,
          uri: row.uri,
          error: parsed.ok ? 'the row key does not match its contact' : parsed.error,
        });
        this.removeStmt.run(row.aor, row.uri);
      }
    }
    return out;
  }

  put(c: Contact): void {
    this.putStmt.run(c.aor, c.uri, Math.round(c.expiresAt), JSON.stringify(c));
  }

  remove(aor: string, uri: string): void {
    this.removeStmt.run(aor, uri);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
