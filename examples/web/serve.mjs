// A static server for the web example, on localhost:
//   node examples/web/serve.mjs --pyodide DIR --importer FILE --bales DIR [--port N] [--log 1] [--ranges 0] [--validators 1]
// Serves this folder at /, the `pyodide` npm package's folder at /pyodide/, the loader
// and the importer (the WebAssembly build, as bale.abi3.so) at /loader/, DIR's
// bales at /bales/ and the repository's examples/ at /examples/ (the app files a
// start from wheels writes). Files go out compressed as a production server would send them:
// brotli (or gzip) when the browser accepts it, except what is compressed already
// (wheels, and zips that are not stored). A Range request (the loader's, for a rest
// bale, the parts of a parts file) is answered with those bytes alone, uncompressed,
// several ranges as multipart/byteranges, unless `ranges: false` (a server that
// ignores them). `validators`: each file gets an ETag (from its content) and `Cache-Control: no-cache`
// (a browser revalidates, and a request whose If-None-Match matches gets 304), as
// a production server sends them; without, `no-store` and no validator. `log`, if given, gets one line per request; `mounts`,
// more [URL prefix, folder] pairs, served before these (other pages' tests);
// `isolated`, the headers that make a page cross-origin isolated (COOP and COEP), which
// SharedArrayBuffer needs: PyScript's workers reach the page's DOM through it. Prints
// the URL, then serves until killed.
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));

export function serve({ pyodide, importer, bales, port = 0, ranges = true, validators = false, log, mounts: extra = [], isolated = false }) {
  const mounts = [
    ...extra,
    ["/pyodide/", pyodide],
    ["/bales/", bales],
    ["/examples/", path.join(here, "..")],
    ["/loader/bale.abi3.so", importer],
    ["/loader/", path.join(here, "../../importer/js")],
    ["/", here],
  ];
  const compressed = new Map(); // one compression per file and encoding
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const file = resolve(mounts, decodeURIComponent(url.pathname));
    const asked = ranges && /^bytes=\d+-\d*(,\s*\d+-\d*)*$/.test(req.headers.range ?? "") ? req.headers.range : undefined;
    const done = (status, length) => log?.(`${req.method} ${url.pathname}${asked ? ` ${asked}` : ""} ${status} ${length}`);
    if (!file || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404, "Not Found").end();
      done(404, 0);
      return;
    }
    const stat = fs.statSync(file);
    const size = stat.size;
    const headers = { "Content-Type": type(file, read(file, 0, 4)), "Cache-Control": "no-store", "Accept-Ranges": ranges ? "bytes" : "none" };
    if (isolated) Object.assign(headers, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
    if (validators) {
      headers.ETag = etag(file, stat);
      headers["Cache-Control"] = "no-cache";
      if (req.headers["if-none-match"]?.split(/\s*,\s*/).includes(headers.ETag)) {
        res.writeHead(304, { ETag: headers.ETag, "Cache-Control": "no-cache" }).end();
        done(304, 0);
        return;
      }
    }
    if (asked) {
      const spans = asked
        .slice("bytes=".length)
        .split(",")
        .map((r) => r.trim().split("-"))
        .map(([a, b]) => [Number(a), Math.min(b ? Number(b) : size - 1, size - 1)])
        .filter(([a, b]) => a < size && a <= b);
      if (!spans.length) {
        res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
        done(416, 0);
        return;
      }
      // Those bytes alone, as a production server sends them: a miss's request costs
      // what it asks for, not the whole file.
      const body = spans.length === 1 ? read(file, spans[0][0], spans[0][1] - spans[0][0] + 1) : multipart(file, size, spans, headers);
      if (spans.length === 1) headers["Content-Range"] = `bytes ${spans[0][0]}-${spans[0][1]}/${size}`;
      headers["Content-Length"] = body.length;
      res.writeHead(206, headers).end(req.method === "HEAD" ? undefined : body);
      done(206, body.length);
      return;
    }
    let body = fs.readFileSync(file);
    const accepts = String(req.headers["accept-encoding"] ?? "");
    const encoding = accepts.includes("br") ? "br" : accepts.includes("gzip") ? "gzip" : null;
    if (encoding && worthCompressing(file, body)) {
      const key = `${encoding}:${file}`;
      if (!compressed.has(key)) {
        compressed.set(
          key,
          encoding === "br"
            ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } })
            : zlib.gzipSync(body, { level: 9 }),
        );
      }
      body = compressed.get(key);
      headers["Content-Encoding"] = encoding;
    }
    headers["Content-Length"] = body.length;
    res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : body);
    done(200, body.length);
  });
  // Idle connections kept a minute, as nginx keeps them (75 s): Node's default of 5 s
  // races a client reusing the connection after a Pyodide start on a busy machine.
  server.keepAliveTimeout = 60_000;
  return new Promise((done) => server.listen(port, "127.0.0.1", () => done(server)));
}

/**
 * The server in a process of its own, as a user runs it, logging each request: for
 * tests and benchmarks whose own thread blocks (the loader's synchronous fetch of a
 * rest bale's entry waits on this thread in Node). Resolves to `{ base, log,
 * settled(), close() }`: `settled()` resolves to the log once the lines of the
 * requests made so far have come through the pipe.
 */
export async function spawnServer({ pyodide, importer, bales, ranges = true }) {
  const { spawn } = await import("node:child_process");
  const args = [fileURLToPath(import.meta.url), "--pyodide", pyodide, "--importer", importer, "--bales", bales];
  args.push("--port", "0", "--log", "1", ...(ranges ? [] : ["--ranges", "0"]));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const log = [];
  let buffered = "";
  const base = await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`the example server exited (${code})`)));
    child.stdout.on("data", (chunk) => {
      const lines = (buffered + chunk).split("\n");
      buffered = lines.pop();
      for (const line of lines) {
        const url = /^serving on (\S+?)\/?$/.exec(line);
        if (url) resolve(url[1]);
        else log.push(line);
      }
    });
  });
  const settled = async () => {
    for (let seen = -1; seen !== log.length; ) {
      seen = log.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    return log;
  };
  return { base, log, settled, close: () => child.kill() };
}

// The file a URL path names under its mount; none for a path that leaves it.
function resolve(mounts, urlPath) {
  for (const [prefix, dir] of mounts) {
    if (prefix.endsWith("/") ? !urlPath.startsWith(prefix) : urlPath !== prefix) continue;
    if (!prefix.endsWith("/")) return dir;
    const rel = urlPath.slice(prefix.length) || "index.html";
    const file = path.resolve(dir, rel);
    return file.startsWith(path.resolve(dir) + path.sep) ? file : null;
  }
  return null;
}

// A file's ETag, from its content (as S3's or a CDN's): a deploy that copies an
// unchanged file again keeps its ETag. Computed once per file version.
const etags = new Map();
function etag(file, stat) {
  const key = `${file}:${stat.size}:${stat.mtimeMs}`;
  if (!etags.has(key)) etags.set(key, `"${createHash("sha256").update(fs.readFileSync(file)).digest("hex").slice(0, 32)}"`);
  return etags.get(key);
}

// Several ranges in one answer, as multipart/byteranges (RFC 9110 §14.6); sets the
// Content-Type that names the boundary.
function multipart(file, size, spans, headers) {
  const boundary = "bale-byteranges-3d6b";
  const parts = spans.flatMap(([a, b]) => [
    Buffer.from(`--${boundary}\r\nContent-Type: ${headers["Content-Type"]}\r\nContent-Range: bytes ${a}-${b}/${size}\r\n\r\n`),
    read(file, a, b - a + 1),
    Buffer.from("\r\n"),
  ]);
  headers["Content-Type"] = `multipart/byteranges; boundary=${boundary}`;
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
}

// `length` bytes of `file` from `start` (fewer at its end).
function read(file, start, length) {
  const fd = fs.openSync(file, "r");
  try {
    const bytes = Buffer.alloc(length);
    return bytes.subarray(0, fs.readSync(fd, bytes, 0, length, start));
  } finally {
    fs.closeSync(fd);
  }
}

// A `.so` built for the web is WebAssembly, sent as such so that the loader compiles
// the importer as it downloads.
function type(file, body) {
  if (body.subarray(0, 4).equals(Buffer.from("\0asm"))) return "application/wasm";
  const types = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json", ".wasm": "application/wasm", ".zip": "application/zip" };
  return types[path.extname(file)] ?? "application/octet-stream";
}

// A wheel and a deflated zip gain nothing from a second compression.
function worthCompressing(file, body) {
  if (file.endsWith(".whl")) return false;
  if (file.endsWith(".zip")) return body.length > 8 && body.readUInt16LE(8) === 0; // first entry stored
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
  if (!args.pyodide || !args.importer || !args.bales) {
    console.error("usage: node serve.mjs --pyodide DIR --importer FILE --bales DIR [--port N]");
    process.exit(2);
  }
  const log = args.log === "1" ? (line) => console.log(line) : undefined;
  const server = await serve({ ...args, port: Number(args.port ?? 8000), ranges: args.ranges !== "0", validators: args.validators === "1", log });
  console.log(`serving on http://127.0.0.1:${server.address().port}/`);
}
