"""A tiny app for the demo: a package with a submodule and data files."""

from importlib import resources

from hello.greet import greet


def main() -> None:
    names = resources.files("hello").joinpath("data/names.txt").read_text().split()
    for line in greet(names):
        print(line)
