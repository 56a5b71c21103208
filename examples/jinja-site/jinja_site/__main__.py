import sys

from jinja_site import render

print(render(sys.argv[1:]))
