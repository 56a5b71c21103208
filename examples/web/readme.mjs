// README.md's code blocks, for the browser tests that run them as written: the block
// labelled LABEL (```js LABEL), as scripts/dist/readme_blocks.py gives it. A label
// read here counts as run for `readme_blocks.py --check-all`.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function readmeBlock(label) {
  return execFileSync("python3", [path.join(root, "scripts/dist/readme_blocks.py"), path.join(root, "README.md"), label], {
    encoding: "utf8",
  });
}
