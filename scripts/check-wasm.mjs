// Runs the reader, compiled to WebAssembly, on every test vector and checks what it
// reports against the vector's expected decoding.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [wasmPath, vectors] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const { memory, probe_alloc, probe_read } = instance.exports;
if (WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath))).length !== 0) {
  throw new Error("the reader must need nothing from its host");
}

let failures = 0;
const names = readdirSync(vectors).filter((f) => f.endsWith(".bale")).sort();
for (const name of names) {
  const bytes = readFileSync(join(vectors, name));
  const expected = JSON.parse(readFileSync(join(vectors, name.replace(/\.bale$/, ".json"))));
  const ptr = probe_alloc(bytes.length);
  new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
  const got = Number(probe_read(ptr, bytes.length));
  let ok;
  if (expected.open !== "ok") {
    ok = got === -1;
  } else {
    const { modules, files } = expected.header;
    const damaged = expected.verify.length > 0;
    const problems = got % 1000;
    ok = Math.floor(got / 1e6) === modules.count && Math.floor(got / 1000) % 1000 === files.count && (problems > 0) === damaged;
  }
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${got}`);
  if (!ok) failures++;
}
if (failures) {
  console.error(`${failures} vector(s) decoded differently in WebAssembly`);
  process.exit(1);
}
console.log(`${names.length} vectors read correctly in WebAssembly`);
