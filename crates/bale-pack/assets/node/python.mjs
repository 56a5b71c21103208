// A `python` command that runs in Pyodide on Node, for `bale pack --target pyodide`:
//   node python.mjs PYODIDE_DIR SITE_DIR|- STDLIB_ZIP|- [-I] [-S] [-X no_debug_ranges]
//                   [-c CODE | -m MODULE | SCRIPT] [ARGS...]
// The packer drives it exactly as it drives a native interpreter (introspection,
// tracing, static analysis, compiling bytecode, validation): the host's folders are
// mounted at their own paths (Node's file system through Emscripten's NODEFS), the
// working directory and environment are the host's, stdin/stdout/stderr are the
// process's own byte streams, and the exit code is the script's. STDLIB_ZIP replaces
// Pyodide's standard library (`loadPyodide`'s `stdLibURL`), as a page would with a
// trimmed one.
import fs from "node:fs";
import path from "node:path";

const [pyodideDir, site, stdlib, ...argv] = process.argv.slice(2);
const flags = [];
const env = { ...process.env, HOME: process.env.HOME ?? "/" };
for (;;) {
  if (/^-[IESsBu]+$/.test(argv[0] ?? "")) flags.push(argv.shift());
  else if (argv[0] === "-X" && argv[1] === "no_debug_ranges") {
    // What `-X no_debug_ranges` sets, read by Pyodide's CPython as it starts.
    env.PYTHONNODEBUGRANGES = "1";
    argv.splice(0, 2);
  } else break;
}
let mode = "script";
let target = argv.shift();
if (target === "-c" || target === "-m") {
  mode = target.slice(1);
  target = argv.shift();
}
if (target === undefined) {
  process.stderr.write("usage: python.mjs PYODIDE_DIR SITE STDLIB [-I] (-c CODE | -m MODULE | SCRIPT) [ARGS...]\n");
  process.exit(2);
}

const { loadPyodide } = await import(path.join(path.resolve(pyodideDir), "pyodide.mjs"));
const pyodide = await loadPyodide({
  env,
  ...(stdlib !== "-" && { stdLibURL: path.resolve(stdlib) }),
});

// Host folders at their own paths. Pyodide's own /lib, /usr, /dev, /proc stay; /tmp
// and /home are the host's (temporary files and the app may live there).
const own = new Set(["lib", "lib64", "usr", "dev", "proc", "sys", "bin", "sbin", "boot", "etc", "run"]);
for (const entry of fs.readdirSync("/", { withFileTypes: true })) {
  if (!entry.isDirectory() || own.has(entry.name)) continue;
  const at = `/${entry.name}`;
  if (!pyodide.FS.analyzePath(at).exists) pyodide.FS.mkdir(at);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: at }, at);
}
pyodide.FS.chdir(process.cwd());

// Pipes may be non-blocking: a full or empty one throws EAGAIN, and the Python side
// needs a synchronous answer, so wait a millisecond and retry.
const pause = new Int32Array(new SharedArrayBuffer(4));
function retrying(io) {
  for (;;) {
    try {
      return io();
    } catch (e) {
      if (e.code === "EOF") return 0;
      if (e.code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
const write = (fd) => ({
  write(buffer) {
    let done = 0;
    while (done < buffer.length) done += retrying(() => fs.writeSync(fd, buffer, done));
    return buffer.length;
  },
});
pyodide.setStdout(write(1));
pyodide.setStderr(write(2));
pyodide.setStdin({ read: (buffer) => retrying(() => fs.readSync(0, buffer, 0, buffer.length, null)) });

pyodide.globals.set("bale_shim", pyodide.toPy({ mode, target, argv, site, isolated: flags.some((f) => f.includes("I")) }));
const code = pyodide.runPython(`
def _main(shim):
    # runpy and traceback only when needed: with a trimmed standard library, what
    # this shim imports before the app must be what a page imports.
    import sys
    del globals()["bale_shim"]
    if shim["site"] != "-":
        sys.path.append(shim["site"])
    if not shim["isolated"] and shim["mode"] != "m":
        sys.path.insert(0, "" if shim["mode"] == "c" else __import__("os").path.dirname(shim["target"]))
    try:
        try:
            if shim["mode"] == "c":
                sys.argv = ["-c", *shim["argv"]]
                exec(compile(shim["target"], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
            elif shim["mode"] == "m":
                import runpy
                sys.argv = [shim["target"], *shim["argv"]]
                runpy.run_module(shim["target"], run_name="__main__", alter_sys=True)
            else:
                import runpy
                sys.argv = [shim["target"], *shim["argv"]]
                runpy.run_path(shim["target"], run_name="__main__")
            code = 0
        except SystemExit as e:
            code = e.code
            if code is not None and not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            code = code or 0
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        try:
            import atexit
            atexit._run_exitfuncs()
        except BaseException:
            import traceback
            traceback.print_exc()
            code = code or 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code
_main(bale_shim)
`);
process.exit(code);
