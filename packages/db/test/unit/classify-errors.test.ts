/**
 * Which failures the engine calls "the database cannot serve this now", and as what: the mapping of
 * `availabilityErrorOf` for the shapes errors really arrive in (a pg DatabaseError, a Node socket
 * error, pg/pg-pool's code-less messages, PgBouncer's 08P01 sentences, a Prisma error with the
 * driver adapter's cause nested in it), `postgresCodeOf`, and the validation of the environment
 * variables that set the client's limits. No database.
 */
import { describe, expect, it } from 'vitest';
import {
  ConnectionLostError,
  DatabaseAvailabilityError,
  DatabaseUnreachableError,
  DeadlineExceededError,
  PoolExhaustedError,
  TenantPool,
  TenantryConfigError,
  TenantryError,
  TransactionConflictError,
  SerializationFailureError,
  DeadlockDetectedError,
  availabilityErrorOf,
  createTenantPrismaClient,
  postgresCodeOf,
} from '../../src/index.js';
import { SQLSTATE } from '../../../prisma/src/availability-errors.js';
import { timeoutsFromEnv } from '../../../prisma/src/config.js';

/** A pg `DatabaseError` as node-postgres builds it (an Error with the SQLSTATE in `code`). */
function pgError(code: string, message: string): Error & { code: string; severity: string } {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

/** A Node socket error (`connect ECONNREFUSED 127.0.0.1:1`). */
function socketError(code: string, syscall = 'connect'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code} 127.0.0.1:1`), { code, errno: -1, syscall });
}

/** A PrismaClientKnownRequestError-shaped error with adapter-pg's cause nested under meta. */
function prismaError(code: string, cause: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) {
  return Object.assign(new Error(`Prisma error ${code}`), {
    name: 'PrismaClientKnownRequestError',
    code,
    clientVersion: '7.0.0',
    meta: {
      ...meta,
      ...(Object.keys(cause).length ? { driverAdapterError: { name: 'DriverAdapterError', cause } } : {}),
    },
  });
}

type Expected =
  | { type: 'lost' | 'unreachable' | 'conflict'; postgresCode?: string; systemCode?: string }
  | { type: 'deadline'; kind: DeadlineExceededError['kind']; postgresCode: string; systemCode?: undefined };

const CLASSES = {
  lost: ConnectionLostError,
  unreachable: DatabaseUnreachableError,
  conflict: TransactionConflictError,
  deadline: DeadlineExceededError,
} as const;

const TABLE: Array<[string, unknown, Expected]> = [
  // Postgres errors, as node-postgres delivers them.
  [
    '57014 statement timeout',
    pgError('57014', 'canceling statement due to statement timeout'),
    { type: 'deadline', kind: 'statement', postgresCode: '57014' },
  ],
  [
    '55P03 lock timeout',
    pgError('55P03', 'canceling statement due to lock timeout'),
    { type: 'deadline', kind: 'lock', postgresCode: '55P03' },
  ],
  [
    '25P03 idle in transaction',
    pgError('25P03', 'terminating connection due to idle-in-transaction timeout'),
    { type: 'deadline', kind: 'idle-in-transaction', postgresCode: '25P03' },
  ],
  [
    '40001 serialization failure',
    pgError('40001', 'could not serialize access due to concurrent update'),
    { type: 'conflict', postgresCode: '40001' },
  ],
  ['40P01 deadlock', pgError('40P01', 'deadlock detected'), { type: 'conflict', postgresCode: '40P01' }],
  [
    '57P01 admin shutdown',
    pgError('57P01', 'terminating connection due to administrator command'),
    { type: 'lost', postgresCode: '57P01' },
  ],
  [
    '57P02 crash shutdown',
    pgError('57P02', 'terminating connection because of crash of another server process'),
    { type: 'lost', postgresCode: '57P02' },
  ],
  [
    '57P05 idle session timeout',
    pgError('57P05', 'terminating connection due to idle-session timeout'),
    { type: 'lost', postgresCode: '57P05' },
  ],
  ['08000 connection exception', pgError('08000', 'connection exception'), { type: 'lost', postgresCode: '08000' }],
  [
    '08003 connection does not exist',
    pgError('08003', 'connection does not exist'),
    { type: 'lost', postgresCode: '08003' },
  ],
  ['08006 connection failure', pgError('08006', 'connection failure'), { type: 'lost', postgresCode: '08006' }],
  [
    '08007 transaction resolution unknown',
    pgError('08007', 'transaction resolution unknown'),
    { type: 'lost', postgresCode: '08007' },
  ],
  [
    '57P03 cannot connect now',
    pgError('57P03', 'the database system is starting up'),
    { type: 'unreachable', postgresCode: '57P03' },
  ],
  [
    '53300 too many connections',
    pgError('53300', 'sorry, too many clients already'),
    { type: 'unreachable', postgresCode: '53300' },
  ],
  [
    '08001 cannot establish',
    pgError('08001', 'could not establish connection'),
    { type: 'unreachable', postgresCode: '08001' },
  ],
  [
    '08004 rejected',
    pgError('08004', 'server rejected the connection'),
    { type: 'unreachable', postgresCode: '08004' },
  ],
  // PgBouncer reports everything as 08P01; the sentence says whether it has a server for us at all.
  [
    '08P01 pgbouncer no server',
    pgError('08P01', 'pgbouncer cannot connect to server'),
    { type: 'unreachable', postgresCode: '08P01' },
  ],
  [
    '08P01 pgbouncer login failing',
    pgError('08P01', 'server login has been failing, try again later (server_login_retry)'),
    { type: 'unreachable', postgresCode: '08P01' },
  ],
  [
    '08P01 pgbouncer max_client_conn',
    pgError('08P01', 'no more connections allowed (max_client_conn)'),
    { type: 'unreachable', postgresCode: '08P01' },
  ],
  [
    '08P01 pgbouncer query_wait_timeout',
    pgError('08P01', 'query_wait_timeout'),
    { type: 'unreachable', postgresCode: '08P01' },
  ],
  [
    '08P01 pgbouncer shutting down',
    pgError('08P01', 'pgbouncer shutting down'),
    { type: 'unreachable', postgresCode: '08P01' },
  ],
  ['08P01 pgbouncer server crashed', pgError('08P01', 'server conn crashed?'), { type: 'lost', postgresCode: '08P01' }],
  ['08P01 pgbouncer closed', pgError('08P01', 'client_idle_timeout'), { type: 'lost', postgresCode: '08P01' }],
  // Below Postgres: Node's socket errors carry no SQLSTATE, only a system code.
  ['ECONNREFUSED', socketError('ECONNREFUSED'), { type: 'unreachable', systemCode: 'ECONNREFUSED' }],
  ['ENOTFOUND', socketError('ENOTFOUND', 'getaddrinfo'), { type: 'unreachable', systemCode: 'ENOTFOUND' }],
  ['EAI_AGAIN', socketError('EAI_AGAIN', 'getaddrinfo'), { type: 'unreachable', systemCode: 'EAI_AGAIN' }],
  ['EHOSTUNREACH', socketError('EHOSTUNREACH'), { type: 'unreachable', systemCode: 'EHOSTUNREACH' }],
  ['ENETUNREACH', socketError('ENETUNREACH'), { type: 'unreachable', systemCode: 'ENETUNREACH' }],
  ['ECONNRESET', socketError('ECONNRESET', 'read'), { type: 'lost', systemCode: 'ECONNRESET' }],
  ['EPIPE', socketError('EPIPE', 'write'), { type: 'lost', systemCode: 'EPIPE' }],
  ['ECONNABORTED', socketError('ECONNABORTED', 'read'), { type: 'lost', systemCode: 'ECONNABORTED' }],
  ['ETIMEDOUT', socketError('ETIMEDOUT', 'read'), { type: 'lost', systemCode: 'ETIMEDOUT' }],
  // node-postgres and pg-pool, when a socket ends under them: a message and no code.
  ['pg: terminated unexpectedly', new Error('Connection terminated unexpectedly'), { type: 'lost' }],
  ['pg: terminated', new Error('Connection terminated'), { type: 'lost' }],
  [
    'pg: not queryable after error',
    new Error('Client has encountered a connection error and is not queryable'),
    { type: 'lost' },
  ],
  ['pg: closed', new Error('Client was closed and is not queryable'), { type: 'lost' }],
  [
    'pg: connect timeout',
    new Error('Connection terminated due to connection timeout'),
    { type: 'unreachable', systemCode: 'ETIMEDOUT' },
  ],
  // Prisma errors that went through adapter-pg: the SQLSTATE and message are nested.
  [
    'Prisma P2010 with 57P01 nested',
    prismaError('P2010', {
      kind: 'postgres',
      originalCode: '57P01',
      originalMessage: 'terminating connection due to administrator command',
    }),
    { type: 'lost', postgresCode: '57P01' },
  ],
  [
    'Prisma with 57014 nested (message read from the cause)',
    prismaError('P2010', {
      kind: 'postgres',
      originalCode: '57014',
      originalMessage: 'canceling statement due to statement timeout',
    }),
    { type: 'deadline', kind: 'statement', postgresCode: '57014' },
  ],
  [
    'Prisma with 55P03 nested',
    prismaError('P2010', {
      kind: 'postgres',
      originalCode: '55P03',
      originalMessage: 'canceling statement due to lock timeout',
    }),
    { type: 'deadline', kind: 'lock', postgresCode: '55P03' },
  ],
  [
    'Prisma with 40P01 in cause.code',
    prismaError('P2010', { kind: 'postgres', code: '40P01', originalMessage: 'deadlock detected' }),
    { type: 'conflict', postgresCode: '40P01' },
  ],
  [
    'Prisma with 40001 in meta.code',
    prismaError('P2010', {}, { code: '40001', message: 'could not serialize access' }),
    { type: 'conflict', postgresCode: '40001' },
  ],
  [
    'Prisma DatabaseNotReachable',
    prismaError('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 }),
    { type: 'unreachable' },
  ],
  ['Prisma ConnectionClosed', prismaError('P1017', { kind: 'ConnectionClosed' }), { type: 'lost' }],
  ['Prisma SocketTimeout', prismaError('P1008', { kind: 'SocketTimeout' }), { type: 'lost' }],
  ['Prisma P1001 alone', prismaError('P1001'), { type: 'unreachable' }],
  ['Prisma P1002 alone', prismaError('P1002'), { type: 'unreachable' }],
  ['Prisma P1017 alone', prismaError('P1017'), { type: 'lost' }],
  [
    'Prisma P2034 (write conflict or deadlock, no SQLSTATE)',
    prismaError('P2034'),
    { type: 'conflict', postgresCode: '40001' },
  ],
];

describe('availabilityErrorOf', () => {
  it.each(TABLE)('%s', (_name, error, expected) => {
    const typed = availabilityErrorOf(error);
    expect(typed).toBeInstanceOf(CLASSES[expected.type]);
    expect(typed).toBeInstanceOf(DatabaseAvailabilityError);
    expect(typed).toBeInstanceOf(TenantryError);
    if (expected.type === 'deadline') {
      expect(typed).toMatchObject({ kind: expected.kind, source: 'option', limitMillis: undefined });
    }
    if (expected.postgresCode !== undefined) expect(typed!.postgresCode).toBe(expected.postgresCode);
    if (expected.systemCode !== undefined) {
      expect(typed!.systemCode).toBe(expected.systemCode);
      expect(typed!.postgresCode).toBeUndefined();
    }
    if (expected.postgresCode !== undefined) expect(typed!.systemCode).toBeUndefined();
    // The original stays reachable for logs; Prisma must not see a `code` (it would wrap the error).
    expect(typed!.cause).toBe(error);
    expect('code' in typed!).toBe(false);
    expect(typed!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Only a connection lost after the statement was sent leaves it unknown whether it committed.
    expect(typed!.mayHaveCommitted).toBe(expected.type === 'lost');
  });

  it('gives the retry hints the apps send as Retry-After', () => {
    expect(availabilityErrorOf(socketError('ECONNREFUSED'))!.retryAfterSeconds).toBe(2);
    expect(
      availabilityErrorOf(pgError('57P01', 'terminating connection due to administrator command'))!.retryAfterSeconds,
    ).toBe(1);
    expect(availabilityErrorOf(pgError('40001', 'could not serialize access'))!.retryAfterSeconds).toBe(1);
    expect(
      availabilityErrorOf(pgError('57014', 'canceling statement due to statement timeout'))!.retryAfterSeconds,
    ).toBe(1);
  });

  it.each<[string, unknown]>([
    ['23505 unique violation', pgError('23505', 'duplicate key value violates unique constraint "projects_pkey"')],
    ['42501 RLS refusal', pgError('42501', 'new row violates row-level security policy for table "projects"')],
    ['23503 foreign key', pgError('23503', 'insert or update on table "tasks" violates foreign key constraint')],
    ['42601 syntax error', pgError('42601', 'syntax error at or near "selec"')],
    ['57014 cancelled by the user (not a timeout)', pgError('57014', 'canceling statement due to user request')],
    ['55P03 NOWAIT (not a lock timeout)', pgError('55P03', 'could not obtain lock on row in relation "projects"')],
    [
      'Prisma P2002 with 23505 nested',
      prismaError('P2002', {
        kind: 'UniqueConstraintViolation',
        originalCode: '23505',
        originalMessage: 'duplicate key',
      }),
    ],
    ['Prisma P2025 not found', prismaError('P2025')],
    ['a plain Error', new Error('boom')],
    ['an Error with an unknown system code', socketError('ENOENT', 'open')],
    ['a TenantryError that is not an availability error', new TenantryError('Cannot do that')],
    ['an empty object', {}],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Connection terminated unexpectedly'],
    ['a number', 57014],
  ])('%s → undefined', (_name, error) => {
    expect(availabilityErrorOf(error)).toBeUndefined();
  });

  it('returns an already typed error as it is', () => {
    const errors = [
      new ConnectionLostError({ code: '57P01' }),
      new DatabaseUnreachableError({ code: 'ECONNREFUSED' }),
      new PoolExhaustedError({ poolSize: 3, waitedMillis: 250 }),
      new DeadlineExceededError({ kind: 'pool-wait', source: 'deadline', limitMillis: 40 }),
      new TransactionConflictError({ code: '40P01' }),
    ];
    for (const error of errors) expect(availabilityErrorOf(error)).toBe(error);
  });

  it('never copies the original message (which may hold row data or parameter values) into its own', () => {
    const secret = '7c0a4d0e-1b7f-4f43-9d55-0c8f3f3c2a11';
    const cases = [
      pgError('57P01', `terminating connection due to administrator command ${secret}`),
      pgError('40001', `could not serialize access: Key (id)=(${secret})`),
      pgError('57014', `canceling statement due to statement timeout ${secret}`),
      pgError('08P01', `server conn crashed? ${secret}`),
      prismaError('P2010', { originalCode: '57P01', originalMessage: `terminating ${secret}` }),
      Object.assign(new Error(`connect ECONNREFUSED ${secret}`), { code: 'ECONNREFUSED' }),
    ];
    for (const error of cases) {
      const typed = availabilityErrorOf(error);
      expect(typed).toBeDefined();
      expect(typed!.message).not.toContain(secret);
      expect(typed!.message).toMatch(/^Cannot /);
    }
  });
});

describe('postgresCodeOf', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a pg error', pgError('23505', 'duplicate key'), '23505'],
    [
      'Prisma: originalCode nested under meta.driverAdapterError.cause',
      prismaError('P2002', { originalCode: '23505', code: '23505' }),
      '23505',
    ],
    ['Prisma: the nested cause.code when there is no originalCode', prismaError('P2010', { code: '42501' }), '42501'],
    ['Prisma: meta.code', prismaError('P2010', {}, { code: '42P01' }), '42P01'],
    ['a typed error: its postgresCode', new ConnectionLostError({ code: '57P01' }), '57P01'],
    ['a typed error without one', new DatabaseUnreachableError({ code: 'ECONNREFUSED' }), undefined],
    ['a typed deadline', new DeadlineExceededError({ kind: 'lock', source: 'deadline', code: '55P03' }), '55P03'],
    ['PgBouncer 08P01', pgError('08P01', 'server conn crashed?'), '08P01'],
    ['the classes Postgres defines outside 00-99: XX000', pgError('XX000', 'internal error'), 'XX000'],
    ['P0001 (raise exception)', pgError('P0001', 'raised'), 'P0001'],
    ['HV000 (FDW)', pgError('HV000', 'fdw error'), 'HV000'],
    ['F0000 (config file)', pgError('F0000', 'config file error'), 'F0000'],
    ['EPIPE is a system code, not a SQLSTATE', socketError('EPIPE', 'write'), undefined],
    ['EPERM neither', socketError('EPERM', 'open'), undefined],
    ['ECONNRESET neither', socketError('ECONNRESET', 'read'), undefined],
    ["Prisma's own code is not a SQLSTATE", prismaError('P2002'), undefined],
    ['P1001 neither', prismaError('P1001'), undefined],
    ['lower case is not a SQLSTATE', pgError('57p01', 'x'), undefined],
    ['four characters', pgError('5701', 'x'), undefined],
    ['six characters', pgError('57P011', 'x'), undefined],
    ['a number code', { code: 23505 }, undefined],
    ['a plain Error', new Error('boom'), undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['a string', '23505', undefined],
  ])('%s', (_name, error, expected) => {
    expect(postgresCodeOf(error)).toBe(expected);
  });

  it("prefers the nested SQLSTATE over Prisma's code and the typed error's own over everything", () => {
    const prisma = prismaError('P2010', { originalCode: '40P01', code: '40001' }, { code: '40002' });
    expect(postgresCodeOf(prisma)).toBe('40P01');
    const typed = Object.assign(new ConnectionLostError({ code: '57P01' }), { meta: { code: '08006' } });
    expect(postgresCodeOf(typed)).toBe('57P01');
  });

  it('the SQLSTATE pattern accepts the classes Postgres defines and no errno names', () => {
    for (const code of [
      '00000',
      '08P01',
      '0A000',
      '22P02',
      '2200F',
      '25P03',
      '40P01',
      '57P01',
      'F0000',
      'HV00R',
      'P0001',
      'XX000',
    ]) {
      expect(SQLSTATE.test(code), code).toBe(true);
    }
    for (const code of [
      'EPIPE',
      'EPERM',
      'EBUSY',
      'EXDEV',
      'ENOENT',
      'P2002',
      'P1001',
      'HY000',
      'ZZ000',
      '57p01',
      ' 57P01',
      '57P01 ',
    ]) {
      expect(SQLSTATE.test(code), code).toBe(false);
    }
  });

  it("'EPIPE' on a typed error lands in systemCode, never in postgresCode", () => {
    const lost = availabilityErrorOf(socketError('EPIPE', 'write'));
    expect(lost).toBeInstanceOf(ConnectionLostError);
    expect(lost).toMatchObject({ postgresCode: undefined, systemCode: 'EPIPE' });
    expect(postgresCodeOf(lost)).toBeUndefined();
    expect(new ConnectionLostError({ code: 'EPIPE' })).toMatchObject({ postgresCode: undefined, systemCode: 'EPIPE' });
    expect(new ConnectionLostError({ code: '57P01' })).toMatchObject({ postgresCode: '57P01', systemCode: undefined });
  });
});

describe('the typed errors', () => {
  it('DeadlineExceededError names the limit that expired and how to give more time', () => {
    const byDeadline = new DeadlineExceededError({
      kind: 'statement',
      source: 'deadline',
      limitMillis: 120,
      code: '57014',
    });
    expect(byDeadline.message).toMatch(/deadlineMs \(120 ms left\)/);
    expect(byDeadline.message).toMatch(/tenantContext\.run/);
    const byOption = new DeadlineExceededError({ kind: 'lock', source: 'option', limitMillis: 100, code: '55P03' });
    expect(byOption.message).toMatch(/lockTimeoutMillis \(DATABASE_LOCK_TIMEOUT_MS\), 100 ms, Postgres lock_timeout/);
    expect(byOption.message).toMatch(/raise lockTimeoutMillis/);
    const expired = new DeadlineExceededError({ kind: 'deadline', source: 'deadline', limitMillis: 50 });
    expect(expired.message).toMatch(/deadlineMs of 50 ms/);
    expect(expired).toMatchObject({
      name: 'DeadlineExceededError',
      kind: 'deadline',
      source: 'deadline',
      limitMillis: 50,
      postgresCode: undefined,
      systemCode: undefined,
    });
    const poolWait = new DeadlineExceededError({ kind: 'pool-wait', source: 'deadline', limitMillis: 30 });
    expect(poolWait.message).toMatch(/find what holds the connections/);
  });

  it('PoolExhaustedError carries the pool size and the wait', () => {
    const error = new PoolExhaustedError({ poolSize: 4, waitedMillis: 251 });
    expect(error).toMatchObject({
      name: 'PoolExhaustedError',
      poolSize: 4,
      waitedMillis: 251,
      retryAfterSeconds: 1,
      postgresCode: undefined,
    });
    expect(error.message).toMatch(/all 4 connections of the pool stayed busy for 251 ms/);
  });

  it('TransactionConflictError says which conflict', () => {
    expect(new TransactionConflictError({ code: '40P01' }).message).toMatch(/deadlocked/);
    expect(new TransactionConflictError({ code: '40001' }).message).toMatch(/serialization failure/);
  });

  it('a conflict is classified as its specific subclass, still a TransactionConflictError', () => {
    const serialization = availabilityErrorOf(pgError('40001', 'could not serialize access due to concurrent update'));
    const deadlock = availabilityErrorOf(pgError('40P01', 'deadlock detected'));
    expect(serialization).toBeInstanceOf(SerializationFailureError);
    expect(serialization).toBeInstanceOf(TransactionConflictError);
    expect(serialization).toMatchObject({
      name: 'SerializationFailureError',
      postgresCode: '40001',
      mayHaveCommitted: false,
    });
    expect(deadlock).toBeInstanceOf(DeadlockDetectedError);
    expect(deadlock).toMatchObject({ name: 'DeadlockDetectedError', postgresCode: '40P01' });
    expect(availabilityErrorOf(prismaError('P2034'))).toBeInstanceOf(SerializationFailureError);
  });
});

describe('timeoutsFromEnv', () => {
  it('reads the four variables; unset or empty ones leave the default', () => {
    expect(timeoutsFromEnv({})).toEqual({});
    expect(timeoutsFromEnv({ DATABASE_STATEMENT_TIMEOUT_MS: '', DATABASE_LOCK_TIMEOUT_MS: undefined })).toEqual({});
    expect(
      timeoutsFromEnv({
        DATABASE_POOL_TIMEOUT_MS: '2500',
        DATABASE_STATEMENT_TIMEOUT_MS: '5000',
        DATABASE_LOCK_TIMEOUT_MS: '0',
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '2147483647',
      }),
    ).toEqual({
      connectionTimeoutMillis: 2500,
      statementTimeoutMillis: 5000,
      lockTimeoutMillis: 0,
      idleInTransactionTimeoutMillis: 2147483647,
    });
  });

  it.each(['-1', '1.5', 'abc', '1e3', ' 500', '500 ', '0x10', '+5', '5s', '2147483648', '99999999999999999999'])(
    'refuses %j naming the variable and what to set',
    (raw) => {
      for (const name of [
        'DATABASE_POOL_TIMEOUT_MS',
        'DATABASE_STATEMENT_TIMEOUT_MS',
        'DATABASE_LOCK_TIMEOUT_MS',
        'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      ]) {
        let error: unknown;
        try {
          timeoutsFromEnv({ [name]: raw });
        } catch (e) {
          error = e;
        }
        expect(error, `${name}=${raw}`).toBeInstanceOf(TenantryConfigError);
        const message = (error as Error).message;
        expect(message).toContain(`${name} is not a whole number of milliseconds`);
        expect(message).toContain(`e.g. ${name}=5000`);
        expect(message).toMatch(/from 0 \(no limit\) to 2147483647/);
      }
    },
  );

  it('createTenantPrismaClient reads them: a bad one fails at construction, unless the app passes its own pool', async () => {
    const saved = process.env.DATABASE_STATEMENT_TIMEOUT_MS;
    try {
      process.env.DATABASE_STATEMENT_TIMEOUT_MS = 'soon';
      expect(() =>
        createTenantPrismaClient({ connectionString: 'postgres://nobody@127.0.0.1:1/none', poolSize: 1 }),
      ).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS is not a whole number of milliseconds/);
      // A pool passed in is configured by the app: the variables are not read for it.
      const pool = new TenantPool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', max: 1 });
      const client = createTenantPrismaClient({ pool });
      await client.$disconnect();
      await pool.end();
    } finally {
      if (saved === undefined) delete process.env.DATABASE_STATEMENT_TIMEOUT_MS;
      else process.env.DATABASE_STATEMENT_TIMEOUT_MS = saved;
    }
  });
});
