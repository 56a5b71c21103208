#!/usr/bin/env python3
"""The linker cargo runs for wasm32-unknown-emscripten, standing in for `emcc`, which
this project does not need: links rustc's objects into a Pyodide side module (what
`emcc -sSIDE_MODULE=2` makes) with rustup's `rust-lld`.

rustc passes emcc-style arguments. Kept: objects and libraries to link, `-o`, `-L`,
`-Wl,` options, and `-sEXPORTED_FUNCTIONS` (the only symbols exported, `PyInit_*`).
Dropped: every other emcc option (`-s KEY=VALUE`, `-l` for libraries that Pyodide's
main module provides at run time, code-generation flags), since the side module
imports whatever it does not define and Pyodide resolves it when loading it.
"""

import json
import os
import shlex
import subprocess
import sys


def expand(args):
    """rustc may put arguments in a response file (`@path`)."""
    out = []
    for a in args:
        if a.startswith("@"):
            with open(a[1:], encoding="utf-8") as f:
                out += shlex.split(f.read())
        else:
            out.append(a)
    return out


def rust_lld():
    sysroot = subprocess.check_output(["rustc", "--print", "sysroot"], text=True).strip()
    host = next(line.split()[1] for line in subprocess.check_output(["rustc", "-vV"], text=True).splitlines()
                if line.startswith("host:"))
    return [os.path.join(sysroot, "lib", "rustlib", host, "bin", "rust-lld"), "-flavor", "wasm"]


def main(argv):
    args = expand(argv)
    command = rust_lld() + ["--experimental-pic", "-shared", "--no-entry", "--unresolved-symbols=import-dynamic",
                            "--strip-debug", "-O2", "--no-export-dynamic"]
    exports = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-s":
            i += 1
            a = "-s" + args[i]
        if a.startswith("-sEXPORTED_FUNCTIONS="):
            exports += [n.removeprefix("_") for n in json.loads(a.split("=", 1)[1])]
        elif a in ("-o", "-L"):
            command += [a, args[i + 1]]
            i += 1
        elif a.startswith("-L"):
            command.append(a)
        elif a.startswith("-Wl,"):
            command += [x for x in a[4:].split(",") if x]
        elif not a.startswith("-"):
            command.append(a)
        i += 1
    command += [f"--export={e}" for e in exports]
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
