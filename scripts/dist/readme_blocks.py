"""README.md's code blocks, for the tests that run them as written.

Every fenced block of README.md carries a label after its language (```sh
quickstart-native): the label is how a test finds it.

  readme_blocks.py README.md LABEL
      Prints the block labelled LABEL (there must be exactly one).
  readme_blocks.py README.md --check-all [TEST_SCRIPT]
      Fails if a block has no language or no label, if two blocks share a label, or if
      a label is run by no test: TEST_SCRIPT (default scripts/test-dist.sh) must
      extract it (`block LABEL`), or a browser test of examples/ or an importer test
      read it (`readmeBlock("LABEL")`, `readme_block("LABEL")`), unless it is a label
      CI runs itself (SELF_RUN).
      Also fails if a link of README.md to a heading (`#anchor`, `FILE.md#anchor`)
      names none.
  readme_blocks.py README.md --check-ran FILE
      Fails unless every label of README.md but SELF_RUN's and the other tests' is
      in FILE (one a line): the labels a test run extracted, so that none goes unrun.
"""

import re
import sys
from pathlib import Path

# Labels whose commands CI runs itself rather than by extracting them: `sh setup`
# (scripts/demo.sh, run by scripts/test-dist.sh; scripts/test.sh, CI's own command).
SELF_RUN = {"setup": "CI: .ci/run is scripts/test.sh, which runs scripts/demo.sh through scripts/test-dist.sh"}

FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")


def blocks(text):
    """(line number, language, label, body) of each fenced block."""
    found = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i].rstrip("\n"))
        if not match:
            i += 1
            continue
        fence, info = match.group(1), match.group(2).split()
        start, body = i + 1, []
        i += 1
        closing = re.compile(re.escape(fence[0]) + "{%d,}[ \t]*" % len(fence))
        while i < len(lines) and not closing.fullmatch(lines[i].rstrip("\n")):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            sys.exit(f"README.md:{start}: a code block that is never closed")
        language = info[0] if info else None
        label = info[1] if len(info) > 1 else None
        found.append((start, language, label, "".join(body)))
        i += 1
    return found


def labels_run_by(script):
    """The labels a test script extracts: `block LABEL` or `block "LABEL"`."""
    return set(re.findall(r"\bblock\s+\"?([A-Za-z0-9_.-]+)\"?", Path(script).read_text(encoding="utf-8")))


def labels_run_by_tests():
    """The labels other tests of the same CI run read: the browser tests with
    examples/web/readme.mjs (`readmeBlock("LABEL")` in a `*.test.mjs` of examples/),
    the importer's with conftest.py (`readme_block("LABEL")` in importer/tests)."""
    root = Path(__file__).resolve().parents[2]
    found = set()
    for pattern, tests in ((r"\breadmeBlock\(\s*\"([A-Za-z0-9_.-]+)\"", (root / "examples").rglob("*.test.mjs")),
                           (r"\breadme_block\(\s*\"([A-Za-z0-9_.-]+)\"", (root / "importer/tests").glob("test_*.py"))):
        for test in tests:
            found |= set(re.findall(pattern, test.read_text(encoding="utf-8")))
    return found


def check_all(found, script):
    problems = []
    seen = {}
    run = labels_run_by(script) | labels_run_by_tests()
    for line, language, label, _ in found:
        if not language or not label:
            problems.append(f"README.md:{line}: a block without a label (```LANGUAGE LABEL): no test runs it")
            continue
        if label in seen:
            problems.append(f"README.md:{line}: label {label} is already that of the block at line {seen[label]}")
        seen[label] = line
        if label not in run and label not in SELF_RUN:
            problems.append(f"README.md:{line}: block {label} is run by no test: {script} never extracts it")
    return problems


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings (outside code blocks), -1, -2... for
    repeats."""
    counts, found, fenced = {}, set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        heading = re.match(r"^#{1,6} (.+)$", line)
        if heading and not fenced:
            base = slug(heading.group(1))
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def check_links(readme):
    """Links of README.md to headings, here or in another Markdown file, that name none."""
    problems = []
    text = FENCED_BLOCK.sub("", readme.read_text(encoding="utf-8"))
    for target, anchor in re.findall(r"\]\(([^)#\s]*)#([^)\s]+)\)", text):
        file = (readme.parent / target) if target else readme
        if not file.is_file():
            problems.append(f"README.md: a link to {target}#{anchor}: no such file")
        elif anchor not in anchors(file):
            problems.append(f"README.md: a link to {target or ''}#{anchor}: no such heading in {file.name}")
    return problems


FENCED_BLOCK = re.compile(r"^(`{3,}).*?^\1[ \t]*$", re.M | re.S)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    found = blocks(Path(argv[0]).read_text(encoding="utf-8"))
    if argv[1] == "--check-all":
        script = argv[2] if len(argv) > 2 else str(Path(__file__).resolve().parents[1] / "test-dist.sh")
        problems = check_all(found, script) + check_links(Path(argv[0]))
        if problems:
            sys.exit("\n".join(problems))
        print(f"{len(found)} blocks, each labelled and run by {Path(script).name} or CI")
    elif argv[1] == "--check-ran":
        ran = set(Path(argv[2]).read_text(encoding="utf-8").split())
        ran |= set(SELF_RUN) | labels_run_by_tests()
        missed = [f"{label} (README.md:{line})" for line, _, label, _ in found if label not in ran]
        if missed:
            sys.exit("README.md blocks this run never extracted: " + ", ".join(missed))
    else:
        chosen = [body for _, _, label, body in found if label == argv[1]]
        if len(chosen) != 1:
            sys.exit(f"README.md has {len(chosen)} blocks labelled {argv[1]}, not one")
        sys.stdout.write(chosen[0])


if __name__ == "__main__":
    main(sys.argv[1:])
