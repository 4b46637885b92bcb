// A read-only static file server for the demo pages, on 127.0.0.1 only. Each mount maps a URL prefix to a
// directory (web/ at `/`, dist/web/ at `/dist/`, and later a run directory or a data split); a request
// is served only if it names a regular file whose real path lies inside its mount's real directory, and neither
// the request nor that real path names a hidden entry (a dotfile or dot-directory) or a temporary file (*.tmp,
// such as an interrupted atomic write leaves). A mount may instead hold a few generated files in memory (the
// demo's site.json), served only under their exact names, or list files on disk by name (a real-data run's test
// images), serving those and nothing else.
import { createReadStream, realpathSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, relative, sep } from 'node:path';

export type Mount = {
  /** URL path prefix, starting and ending with '/', e.g. '/' or '/dist/'. */
  prefix: string;
} & ({ dir: string } | { files: Record<string, string> } | { listed: Record<string, string> });

export interface StaticServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The URL path, percent-decoded, split into segments; rejects anything that could step out of a mount:
 * '..' or '.' segments (also when encoded), backslashes, NUL, empty segments ('//' would make an absolute path).
 */
export function safeSegments(rawUrl: string): string[] {
  if (!rawUrl.startsWith('/')) throw new HttpError(400, 'request target must be an absolute path');
  const rawPath = rawUrl.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new HttpError(400, 'malformed percent-encoding');
  }
  if (/[\\\0]/.test(path)) throw new HttpError(400, 'backslash or NUL in path');
  const segments = path.slice(1).split('/');
  const last = segments.length - 1;
  segments.forEach((s, i) => {
    if (s === '..' || s === '.') throw new HttpError(400, `'${s}' segment in path`);
    if (s === '' && i !== last) throw new HttpError(400, 'empty segment in path');
  });
  return segments;
}

function findMount(mounts: readonly Mount[], segments: string[]): { mount: Mount; rest: string[] } {
  const path = '/' + segments.join('/');
  // The longest prefix wins, so '/dist/' is not served from the '/' mount.
  const candidates = mounts
    .filter((m) => path.startsWith(m.prefix) || path + '/' === m.prefix)
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const mount = candidates[0];
  if (!mount) throw new HttpError(404, 'not found');
  const depth = mount.prefix.split('/').filter(Boolean).length;
  return { mount, rest: segments.slice(depth) };
}

/** Dotfiles, dot-directories and temporary files are never served (they are absent as far as a client can tell). */
function hiddenName(segment: string): boolean {
  return segment.startsWith('.') || segment.toLowerCase().endsWith('.tmp');
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of the file a request names (a directory's index.html), checked to stay inside the mount. */
async function resolveFile(
  mount: Mount & { dir: string },
  rootReal: string,
  rest: string[],
): Promise<{ path: string; stats: Stats }> {
  let candidate = join(rootReal, ...rest);
  if (!inside(rootReal, candidate)) throw new HttpError(400, 'path leaves the served directory');
  if (rest.some(hiddenName)) throw new HttpError(404, `not found under ${mount.prefix}`);
  let stats: Stats;
  try {
    candidate = await realpath(candidate);
    stats = await stat(candidate);
    // 'file.js/' names a directory that is not there (and would break the page's relative URLs).
    if (rest.at(-1) === '' && !stats.isDirectory()) throw new HttpError(404, 'not a directory');
    if (stats.isDirectory()) {
      candidate = await realpath(join(candidate, 'index.html'));
      stats = await stat(candidate);
    }
  } catch {
    throw new HttpError(404, 'not found');
  }
  // A symlink inside the mount that points outside it is treated as absent.
  if (!inside(rootReal, candidate) || !stats.isFile() || relative(rootReal, candidate).split(sep).some(hiddenName))
    throw new HttpError(404, `not found under ${mount.prefix}`);
  return { path: candidate, stats };
}

function sendError(res: ServerResponse, status: number, message: string, head: boolean): void {
  const body = `${status} ${message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  });
  res.end(head ? undefined : body);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  mounts: readonly Mount[],
  realRoots: Map<Mount, string>,
): Promise<void> {
  const head = req.method === 'HEAD';
  try {
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      throw new HttpError(405, 'method not allowed');
    }
    const { mount, rest } = findMount(mounts, safeSegments(req.url ?? ''));
    const headers = (path: string, bytes: number) => ({
      'content-type': contentType(path),
      'content-length': bytes,
      // A development server: never let the browser keep a bundle that was just rebuilt.
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if ('files' in mount) {
      const name = rest.join('/');
      if (!Object.hasOwn(mount.files, name)) throw new HttpError(404, `not found under ${mount.prefix}`);
      const body = mount.files[name]!;
      res.writeHead(200, headers(name, Buffer.byteLength(body)));
      res.end(head ? undefined : body);
      return;
    }
    if ('listed' in mount) {
      const name = rest.join('/');
      if (!Object.hasOwn(mount.listed, name)) throw new HttpError(404, `not found under ${mount.prefix}`);
      const stats = await stat(mount.listed[name]!).catch(() => null);
      if (!stats?.isFile()) throw new HttpError(404, `not found under ${mount.prefix}`);
      res.writeHead(200, headers(mount.listed[name]!, stats.size));
      if (head) res.end();
      else
        createReadStream(mount.listed[name]!)
          .on('error', () => res.destroy())
          .pipe(res);
      return;
    }
    const file = await resolveFile(mount, realRoots.get(mount)!, rest);
    res.writeHead(200, headers(file.path, file.stats.size));
    if (head) res.end();
    else
      createReadStream(file.path)
        .on('error', () => res.destroy())
        .pipe(res);
  } catch (err) {
    if (err instanceof HttpError) sendError(res, err.status, err.message, head);
    else sendError(res, 500, 'internal error', head);
  }
}

function checkMounts(mounts: readonly Mount[]): Map<Mount, string> {
  const roots = new Map<Mount, string>();
  for (const m of mounts) {
    if (!/^\/(?:[^/]+\/)*$/.test(m.prefix)) throw new Error(`mount prefix '${m.prefix}' must start and end with '/'`);
    if (!('dir' in m)) continue;
    try {
      roots.set(m, realpathSync(m.dir));
    } catch {
      throw new Error(`cannot serve ${m.dir}: no such directory`);
    }
  }
  return roots;
}

/** Serves the mounts on 127.0.0.1 (port 0 picks a free one). */
export async function startStaticServer(mounts: readonly Mount[], port = 0): Promise<StaticServer> {
  const realRoots = checkMounts(mounts);
  const server = createServer((req, res) => void handle(req, res, mounts, realRoots));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is already in use (try --port 0)` : err.message,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
