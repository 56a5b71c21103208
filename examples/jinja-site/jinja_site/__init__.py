"""A static site generator in miniature: pages written as small text files, rendered
through Jinja2 templates found next to this package (by path, as many apps do)."""

import os

from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = os.path.dirname(__file__)


def pages():
    folder = os.path.join(HERE, "content")
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            title, _, body = f.read().partition("\n")
        yield {"slug": name.removesuffix(".txt"), "title": title.strip(), "paragraphs": body.strip().split("\n\n")}


def render(only=None):
    env = Environment(loader=FileSystemLoader(os.path.join(HERE, "templates")), autoescape=select_autoescape())
    env.filters["shout"] = lambda s: s.upper() + "!"
    all_pages = list(pages())
    out = []
    for page in all_pages:
        if only and page["slug"] not in only:
            continue
        out.append(env.get_template("page.html").render(page=page, pages=all_pages))
    return "\n".join(out)
