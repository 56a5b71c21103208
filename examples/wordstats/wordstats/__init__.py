"""Word statistics of a text shipped with the package, counted by an extension module."""

from importlib import resources

from wordstats._native import top_words


def main() -> None:
    text = resources.files("wordstats").joinpath("data/zen.txt").read_text()
    print(f"{len(text.split())} words; the most frequent:")
    for word, count in top_words(text, 5):
        print(f"{count:3} {word}")
