// node check-imports.mjs pyodide.asm.wasm side-module.so
// Every import of a side module must be something Pyodide's main module exports:
// Emscripten's loader turns an unresolved import into a stub whose first call is a
// fatal error, so a missing symbol would only show when the code path runs.
import fs from "node:fs";

const [mainPath, sidePath] = process.argv.slice(2);
const main = new WebAssembly.Module(fs.readFileSync(mainPath));
const side = new WebAssembly.Module(fs.readFileSync(sidePath));
const provided = new Set(WebAssembly.Module.exports(main).map((e) => e.name));
for (const e of WebAssembly.Module.exports(side)) provided.add(e.name);
// Exception-handling tags: exported by the main module in 314, imported by it in 0.29.
for (const i of WebAssembly.Module.imports(main)) if (i.kind === "tag") provided.add(i.name);
const linkerProvided = new Set(["memory", "__indirect_function_table", "__stack_pointer", "__memory_base", "__table_base"]);
const missing = WebAssembly.Module.imports(side)
  .filter((i) => !linkerProvided.has(i.name) && !provided.has(i.name))
  .map((i) => `${i.module}.${i.name}`);
if (missing.length) {
  console.error(`${sidePath}: imports that ${mainPath} does not provide: ${missing.join(" ")}`);
  process.exit(1);
}
console.log(`${sidePath}: all ${WebAssembly.Module.imports(side).length} imports resolve against ${mainPath}`);
