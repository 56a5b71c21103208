"""Prints the code block of README.md whose info string names LABEL
(```sh quickstart-native), so that the tests run the README's commands as written.

  readme_blocks.py README.md LABEL
"""

import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"^```\w+ " + re.escape(sys.argv[2]) + r"\n(.*?)^```$", text, re.M | re.S)
if len(blocks) != 1:
    sys.exit(f"README.md has {len(blocks)} blocks labelled {sys.argv[2]}, not one")
sys.stdout.write(blocks[0])
