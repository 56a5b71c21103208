import json
from importlib import resources

GREETINGS = json.loads(resources.files("hello").joinpath("data/greetings.json").read_text())


def greet(names):
    for i, name in enumerate(names):
        word = GREETINGS[i % len(GREETINGS)]
        yield f"{word}, {name}!"
