/**
 * What the coordinator of a distributed study (RedisExecutor) and its workers (StudyWorker)
 * share: the Redis URL, the queue, the job data and reply, and the run folder's files as one
 * packed buffer. Nothing else travels between machines. (ioredis and BullMQ are loaded when
 * first used, so the other commands do not pay for them.)
 */
import type { Redis } from 'ioredis';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { ConfigError, RedisUnreachableError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { JobOutcome } from './executor.js';

/** The BullMQ queue that study jobs go through. */
export const QUEUE = 'codesign-study';

/** A Redis server: the connection options ioredis and BullMQ both take, and its URL without a password for messages. */
export interface RedisTarget {
  options: { host: string; port: number; db: number; connectTimeout: number; username?: string; password?: string; tls?: object };
  label: string;
}

/** Parses `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS); a bad URL is a ConfigError naming `flag`. */
export function parseRedisUrl(url: string, flag: string): RedisTarget {
  const bad = (why: string) => new ConfigError(`${flag}: ${why}; expected redis://host[:port][/db], e.g. redis://127.0.0.1:6379, got "${url}"`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`unknown scheme ${u.protocol}`);
  if (!u.hostname) throw bad('no host');
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!(Number.isInteger(db) && db >= 0)) throw bad(`database "${u.pathname.slice(1)}" is not a number`);
  const port = u.port ? Number(u.port) : 6379;
  const options: RedisTarget['options'] = { host: u.hostname.replace(/^\[|\]$/g, ''), port, db, connectTimeout: 5000 };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') options.tls = {};
  return { options, label: `${u.protocol}//${u.hostname}:${port}${db ? `/${db}` : ''}` };
}

/**
 * Connects once and pings, giving up within `timeoutMs`: an unreachable server or a refused
 * login is a RedisUnreachableError that names the server (ioredis alone would retry forever).
 */
export async function probeRedis(t: RedisTarget, timeoutMs = 5000): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...t.options, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, disconnectTimeout: 100 });
  let cause: Error | undefined;
  client.on('error', (e: Error) => (cause ??= e));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)));
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (e) {
    const why = (e as Error).message === 'Connection is closed.' && cause ? cause.message : (e as Error).message;
    if (/^(NOAUTH|WRONGPASS)/.test(why)) throw new RedisUnreachableError(`Redis at ${t.label} refused the login: ${why} (the password goes in the URL: redis://:PASSWORD@host:port)`);
    if (/Unknown RESP type|Protocol error/i.test(why)) throw new RedisUnreachableError(`the server at ${t.label} does not speak Redis: ${why}`);
    throw new RedisUnreachableError(`cannot reach Redis at ${t.label}: ${why} (is redis-server running there, and reachable from this machine?)`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** A client for the files: fails a command after a few reconnection attempts instead of queueing it forever. */
export async function filesClient(t: RedisTarget): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...t.options, maxRetriesPerRequest: 20 });
  client.on('error', () => undefined); // reconnects on its own; commands fail after their retries
  return client;
}

/** The data of a queued job: the job itself and the codesign version that made its id. */
export interface RemoteJobData {
  kind: string;
  input: unknown;
  generator: string;
  /** Seconds the worker keeps the job's files in Redis for a coordinator to collect. */
  keep_s: number;
}

/** What a worker returns for a job (the BullMQ return value); the files are under `filesKey(id)`. */
export interface RemoteReply {
  outcome: JobOutcome;
  /** The job's time on the worker's thread (null when the thread died). */
  elapsed_s: number | null;
  files: { count: number; bytes: number } | null;
  /** The worker's name (codesign-<version>@<host>-<pid>). */
  worker: string;
}

/** The packed files of job `id`, kept apart from the job so that job records and events stay small. */
export const filesKey = (id: string): string => `codesign:files:${id}`;

/**
 * Stands for the job's folder in paths inside outcomes and files: a worker runs a job in a
 * temporary folder and writes this token in its place; the coordinator puts its study folder back.
 */
export const ROOT_TOKEN = '<codesign-job-root>';

/** `text` (or a buffer of it) with every `from` replaced by `to`; untouched when it has none. */
export function replacePath<T extends string | Buffer>(text: T, from: string, to: string): T {
  if (!text.includes(from)) return text;
  const replaced = text.toString().split(from).join(to);
  return (typeof text === 'string' ? replaced : Buffer.from(replaced)) as T;
}

async function listFiles(root: string, rel: string, skipDirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? join(rel, e.name) : e.name;
    if (e.isDirectory()) {
      if (!skipDirs.includes(e.name)) out.push(...(await listFiles(root, path, skipDirs)));
    } else if (e.isFile()) out.push(path);
  }
  return out.sort();
}

/**
 * Every file under `root` (except folders named in `skipDirs`), its path `root` written as
 * ROOT_TOKEN, as one gzip'd buffer: a 4-byte header length, a JSON list of [path, bytes], the bytes.
 */
export async function packFolder(root: string, skipDirs: readonly string[]): Promise<{ data: Buffer; count: number; bytes: number }> {
  const paths = await listFiles(root, '', skipDirs);
  const blobs = await Promise.all(paths.map(async (p) => replacePath(await readFile(join(root, p)), root, ROOT_TOKEN)));
  const header = Buffer.from(JSON.stringify(paths.map((p, i) => [p.split(sep).join('/'), blobs[i].length])));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const raw = Buffer.concat([length, header, ...blobs]);
  return { data: await promisify(gzip)(raw), count: paths.length, bytes: raw.length };
}

/** Writes the files of a packFolder buffer under `root`, each atomically, ROOT_TOKEN replaced by `root`; returns their paths. */
export async function unpackFolder(data: Buffer, root: string): Promise<string[]> {
  const raw = await promisify(gunzip)(data);
  const headerLength = raw.readUInt32BE(0);
  const entries = JSON.parse(raw.subarray(4, 4 + headerLength).toString()) as [string, number][];
  let offset = 4 + headerLength;
  const written: string[] = [];
  await mkdir(root, { recursive: true });
  for (const [path, size] of entries) {
    const rel = normalize(path);
    if (isAbsolute(rel) || rel.split(sep).includes('..')) throw new Error(`packed file "${path}" is outside its folder`);
    await writeFileAtomic(join(root, rel), replacePath(raw.subarray(offset, offset + size), ROOT_TOKEN, root));
    offset += size;
    written.push(rel);
  }
  return written;
}
