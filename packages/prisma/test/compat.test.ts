/**
 * Compatibility of the Prisma and pg internals the engine relies on (src/internals/*.ts), without a
 * database: the Prisma checks look at a generated client instance that never connects (its pool
 * points at a closed port and no query reaches it); the pg checks drive pg's real Client over an
 * in-memory socket that answers like a Postgres server.
 *
 * When one fails, its message names the installed versions and the ones src/internals was verified
 * with: update the accessor there (and its comment), not the code that calls it.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
// The test only: the engine never imports a generated client. This one is packages/db's schema.
import { PrismaClient } from '../../db/src/generated/prisma/client.js';
import {
  ADAPTER_PG_VERIFIED_VERSION,
  PRISMA_VERIFIED_VERSION,
  adapterUsesPool,
  inlineSchemaOf,
  requestBatcherOf,
  runsOutsideTransaction,
  runtimeDataModelOf,
} from '../src/internals/prisma-internals.js';
import {
  PG_CONNECTION_WRITERS,
  PG_QUERY_HOOKS,
  PG_VERIFIED_VERSION,
  assertSupportedPg,
  connectionOf,
  installedPgVersion,
  prepareValue,
} from '../src/internals/pg-internals.js';
import { TenantClient } from '../src/connection/tenant-client.js';
import { tenantMetadataOf } from '../src/extension/model-metadata.js';
import { bindRequestsToCallerContext } from '../src/extension/request-context.js';

const require = createRequire(import.meta.url);

/** A package's installed version, from its package.json (found from its entry when not exported). */
function installedVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

const prismaVersions =
  `installed: @prisma/client ${installedVersion('@prisma/client')}, @prisma/adapter-pg ${installedVersion('@prisma/adapter-pg')}; ` +
  `src/internals/prisma-internals.ts was verified with @prisma/client ${PRISMA_VERIFIED_VERSION}, @prisma/adapter-pg ${ADAPTER_PG_VERIFIED_VERSION}`;
const pgVersions = `installed: pg ${installedPgVersion()}; src/internals/pg-internals.ts was verified with pg ${PG_VERIFIED_VERSION}`;

/** Fails with what changed and the versions, so the CI log says which upgrade broke what. */
function internal(ok: unknown, what: string, versions: string): void {
  if (!ok) throw new Error(`Prisma/pg internal changed: ${what} is missing or has another shape (${versions}).`);
}

describe(`Prisma internals (${prismaVersions})`, () => {
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/never', max: 1 });
  const adapter = new PrismaPg(pool);
  const client = new PrismaClient({ adapter });
  afterAll(async () => {
    await client.$disconnect();
    await pool.end();
  });

  it('the client carries its runtime data model: _runtimeDataModel.models[*].fields[{ name, kind, type, dbName }]', () => {
    const dataModel = runtimeDataModelOf(client);
    internal(dataModel, '_runtimeDataModel.models', prismaVersions);
    const project = dataModel!.models.Project;
    internal(project && Array.isArray(project.fields), '_runtimeDataModel.models.Project.fields', prismaVersions);
    const byName = new Map(project!.fields.map((f) => [f.name, f]));
    internal(byName.get('tenantId')?.kind === 'scalar' && byName.get('tenantId')?.type === 'String', 'a scalar field { name, kind: "scalar", type }', prismaVersions);
    internal(byName.get('workspace')?.kind === 'object' && byName.get('workspace')?.type === 'Workspace', 'a relation field { kind: "object", type: <model> }', prismaVersions);
    internal(byName.get('tenantId')?.dbName === 'tenant_id', 'a mapped field\'s dbName (@map)', prismaVersions);
    internal(project!.dbName === 'projects', 'a mapped model\'s dbName (@@map)', prismaVersions);
  });

  it('the client embeds its schema text: _engineConfig.inlineSchema', () => {
    const schema = inlineSchemaOf(client);
    internal(/^model\s+Project\s*\{/m.test(schema) && /@relation\(fields:/.test(schema), '_engineConfig.inlineSchema (the schema.prisma text)', prismaVersions);
    // And what the engine derives from both: the metadata of packages/db's schema.
    const meta = tenantMetadataOf(client);
    expect(meta.get('Project')).toMatchObject({ tenant: true, workspace: true, tenantColumn: 'tenant_id', workspaceColumn: 'workspace_id', table: 'projects' });
    expect(meta.get('Project')!.foreignKeys.get('workspace')).toEqual(['tenantId', 'workspaceId']);
    expect(meta.get('Tenant')).toMatchObject({ tenant: false, workspace: false });
  });

  it('the request batcher is replaceable: _requestHandler.dataloader.options.{batchBy, batchLoader, singleLoader}', () => {
    const fresh = new PrismaClient({ adapter: new PrismaPg(pool) });
    internal(requestBatcherOf(fresh), '_requestHandler.dataloader.options with batchBy/batchLoader/singleLoader functions', prismaVersions);
    const before = requestBatcherOf(fresh)!.batchBy;
    bindRequestsToCallerContext(fresh);
    internal(requestBatcherOf(fresh)!.batchBy !== before, 'a replaceable _requestHandler.dataloader.options.batchBy', prismaVersions);
  });

  it('query extensions see __internalParams.transaction: undefined outside, set inside a batch transaction', async () => {
    const seen: unknown[] = [];
    // Never calls query(): nothing reaches the adapter, so nothing connects.
    const probe = client.$extends({
      query: { $allModels: { $allOperations: (params) => (seen.push(params), Promise.resolve([] as never)) } },
    });
    await probe.tenant.findMany();
    await probe.$transaction([probe.tenant.findMany(), probe.user.findMany()]);
    const internals = seen.map((p) => (p as { __internalParams?: Record<string, unknown> }).__internalParams);
    internal(internals.length === 3 && internals.every((p) => p && typeof p === 'object' && 'transaction' in p), '$allOperations params.__internalParams.transaction', prismaVersions);
    internal(runsOutsideTransaction(seen[0]) && internals[0]!.transaction === undefined, '__internalParams.transaction undefined outside a transaction', prismaVersions);
    internal(!runsOutsideTransaction(seen[1]) && !runsOutsideTransaction(seen[2]), '__internalParams.transaction set inside a batch transaction', prismaVersions);
    expect(runsOutsideTransaction({})).toBe(false); // unknown shape: counts as inside, never retried
  });

  it('adapter-pg keeps the pool it was given: PrismaPg#externalPool', () => {
    internal(adapterUsesPool(adapter, pool), 'PrismaPg#externalPool (=== the pg.Pool passed to the constructor)', prismaVersions);
    internal(!adapterUsesPool(new PrismaPg({ connectionString: 'postgres://nobody@127.0.0.1:1/never' }), pool), 'PrismaPg#externalPool (null for a config)', prismaVersions);
  });
});

/** An in-memory socket for pg.Client: records what the client writes, plays the server's answers. */
class FakeSocket extends Duplex {
  /** Each flush (one `write`, or everything written while corked) as one buffer. */
  readonly flushes: Buffer[] = [];
  connect(): this {
    setImmediate(() => this.emit('connect'));
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.flushes.push(Buffer.from(chunk));
    callback();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.flushes.push(Buffer.concat(chunks.map((c) => Buffer.from(c.chunk))));
    callback();
  }
  override _final(callback: () => void): void {
    callback();
  }
  answer(...messages: Buffer[]): void {
    this.push(Buffer.concat(messages));
  }
}

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'ascii');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstring = (s: string) => Buffer.from(`${s}\0`, 'utf8');
const server = {
  authenticationOk: () => message('R', int32(0)),
  readyForQuery: (status: 'I' | 'T' | 'E') => message('Z', Buffer.from(status, 'ascii')),
  parseComplete: () => message('1'),
  bindComplete: () => message('2'),
  commandComplete: (tag: string) => message('C', cstring(tag)),
  rowDescription: (column: string) =>
    message('T', Buffer.concat([int16(1), cstring(column), int32(0), int16(0), int32(23), int16(4), int32(-1), int16(0)])),
  dataRow: (value: string) => message('D', Buffer.concat([int16(1), int32(Buffer.byteLength(value)), Buffer.from(value)])),
  error: (code: string, text: string) =>
    message('E', Buffer.concat([Buffer.from('S'), cstring('ERROR'), Buffer.from('C'), cstring(code), Buffer.from('M'), cstring(text), Buffer.from([0])])),
};

/** The frontend message types in one flush, e.g. ['P', 'B', 'E', ..., 'S']. */
function frontendTypes(flush: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at < flush.length; ) {
    types.push(String.fromCharCode(flush[at]!));
    at += 1 + flush.readInt32BE(at + 1);
  }
  return types;
}

async function connectedTenantClient(): Promise<{ client: TenantClient; socket: FakeSocket }> {
  const socket = new FakeSocket();
  const client = new TenantClient({ stream: () => socket, user: 'probe', database: 'probe' } as pg.ClientConfig);
  const connected = client.connect();
  // The startup message arrives first; answer like a trust-auth server.
  await new Promise<void>((resolve) => setImmediate(resolve));
  socket.answer(server.authenticationOk(), server.readyForQuery('I'));
  await connected;
  return { client, socket };
}

/** Answers a pipeline of DISCARD ALL, set_config and one `select 1 as x`, with `final` status. */
function answerPipeline(socket: FakeSocket, final: 'I' | 'T'): void {
  socket.answer(
    server.parseComplete(), server.bindComplete(), server.commandComplete('DISCARD ALL'),
    server.parseComplete(), server.bindComplete(), server.dataRow(''), server.commandComplete('SELECT 1'),
    server.parseComplete(), server.bindComplete(), server.rowDescription('x'), server.dataRow('1'), server.commandComplete('SELECT 1'),
    server.readyForQuery(final),
  );
}

describe(`pg internals (${pgVersions})`, () => {
  it('the installed pg passes the engine\'s own version check', () => {
    internal((() => {
      try {
        assertSupportedPg();
        return true;
      } catch {
        return false;
      }
    })(), 'pg >= 8.19 < 9 (assertSupportedPg)', pgVersions);
  });

  it('pg.Query has the submittable hooks and pg.utils.prepareValue exists', () => {
    for (const hook of PG_QUERY_HOOKS) {
      internal(typeof (pg.Query.prototype as unknown as Record<string, unknown>)[hook] === 'function', `pg.Query.prototype.${hook}`, pgVersions);
    }
    internal(typeof prepareValue === 'function', 'pg.utils.prepareValue', pgVersions);
    internal(prepareValue(new Date(Date.UTC(2020, 0, 2, 3, 4, 5))) !== undefined && prepareValue(5) === '5', 'pg.utils.prepareValue(value) -> text', pgVersions);
  });

  it('client.connection has the message writers and a corkable stream', () => {
    const connection = connectionOf(new pg.Client()) as unknown as Record<string, unknown> & { stream: Record<string, unknown> };
    internal(connection && typeof connection === 'object', 'pg.Client#connection', pgVersions);
    for (const writer of PG_CONNECTION_WRITERS) internal(typeof connection[writer] === 'function', `connection.${writer}()`, pgVersions);
    internal(typeof connection.on === 'function', 'connection.on()', pgVersions);
    for (const method of ['cork', 'uncork', 'destroy']) internal(typeof connection.stream[method] === 'function', `connection.stream.${method}()`, pgVersions);
  });

  it('a tenant statement goes out as ONE write under ONE Sync, and its answers come back as an ordinary result', async () => {
    const { client, socket } = await connectedTenantClient();
    try {
      const before = socket.flushes.length;
      const result = client.query('select 1 as x') as unknown as Promise<pg.QueryResult>;
      await new Promise<void>((resolve) => setImmediate(resolve));
      const written = socket.flushes.slice(before);
      internal(written.length === 1, 'one socket write per pipeline (connection.stream.cork/uncork)', pgVersions);
      internal(
        frontendTypes(written[0]!).join('') === 'PBEPBEPBDES',
        `Parse/Bind/Execute x2, Parse/Bind/Describe/Execute, Sync (got ${frontendTypes(written[0]!).join('')}) from connection.parse/bind/describe/execute/sync`,
        pgVersions,
      );
      answerPipeline(socket, 'T');
      const res = await result;
      // handleDataRow/handleCommandComplete of the leading statements were skipped: only the last one's result.
      internal(res.rows.length === 1 && (res.rows[0] as { x: number }).x === 1, 'Query#handleRowDescription/handleDataRow (rows, type parsers)', pgVersions);
      internal(res.rowCount === 1 && res.command === 'SELECT', 'Query#handleCommandComplete (rowCount, command)', pgVersions);
      // The readyForQuery event's status reached the client: 'T' means in a transaction.
      internal(client.transactionStatus === 'T' && client.mustNotBeReused, "connection 'readyForQuery' event with { status }", pgVersions);
    } finally {
      socket.destroy();
    }
  });

  it('an error fails the statement once, the client absorbs the ReadyForQuery, and the connection stays usable', async () => {
    const { client, socket } = await connectedTenantClient();
    try {
      const failed = (client.query('select 1 as x') as unknown as Promise<unknown>).then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise<void>((resolve) => setImmediate(resolve));
      // The reset itself fails: the connection must then never be reused.
      socket.answer(server.parseComplete(), server.bindComplete(), server.error('XX000', 'reset failed'), server.readyForQuery('I'));
      const error = (await failed) as { code?: string } | undefined;
      internal(error instanceof pg.DatabaseError && error.code === 'XX000', 'Query#handleError (the DatabaseError with its code)', pgVersions);
      internal(client.transactionStatus === 'I' && client.mustNotBeReused, 'Query#handleError(err, connection) with the connection', pgVersions);
      const before = socket.flushes.length;
      const again = client.query('select 1 as x') as unknown as Promise<pg.QueryResult>;
      await new Promise<void>((resolve) => setImmediate(resolve));
      internal(socket.flushes.length === before + 1 && frontendTypes(socket.flushes[before]!).filter((t) => t === 'S').length === 1, 'no second Sync after an error (the client absorbs ReadyForQuery)', pgVersions);
      answerPipeline(socket, 'I');
      internal((await again).rowCount === 1, 'the next query on the same connection after an error', pgVersions);
    } finally {
      socket.destroy();
    }
  });
});
