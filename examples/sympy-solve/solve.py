"""Symbolic mathematics with SymPy: solves, differentiates, integrates, expands a
series and simplifies, printing each result as plain text.

    python solve.py [--digits N] [--physics optics]

A large pure-Python library (SymPy imports several hundred modules) for the size and
start-up figures; the output is the same on every run.

`--physics optics` also images through a lens and a mirror with
`sympy.physics.optics`, a subpackage that `import sympy` does not load and that no
import statement names: it is imported by a name computed at run time, and it
imports `sympy.physics.quantum` in turn. A bale packed from runs without the option
holds none of them; its rest bale serves them.
"""

import argparse
import importlib

from sympy import (
    Eq, Matrix, Rational, cos, diff, exp, factor, integrate, limit, oo, pi, pprint, series,
    simplify, sin, solve, sqrt, symbols,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=30, help="digits of pi and sqrt(2) to print")
    parser.add_argument("--physics", choices=["optics"], help="also use this subpackage of sympy.physics")
    args = parser.parse_args(argv)

    x, y = symbols("x y")
    print("roots of x**3 - 6*x**2 + 11*x - 6:", solve(x**3 - 6 * x**2 + 11 * x - 6, x))
    print("system x + y = 10, x - y = 2:", solve([Eq(x + y, 10), Eq(x - y, 2)], [x, y]))
    print("d/dx sin(x)*exp(x):", diff(sin(x) * exp(x), x))
    print("integral of x*cos(x):", integrate(x * cos(x), x))
    print("integral of exp(-x**2) over the reals:", integrate(exp(-x**2), (x, -oo, oo)))
    print("limit of sin(x)/x at 0:", limit(sin(x) / x, x, 0))
    print("series of cos(x) at 0:", series(cos(x), x, 0, 8))
    print("factor x**4 - 1:", factor(x**4 - 1))
    print("simplify sin(x)**2 + cos(x)**2:", simplify(sin(x) ** 2 + cos(x) ** 2))
    m = Matrix([[1, 2], [3, 4]])
    print("inverse of [[1, 2], [3, 4]]:", m.inv().tolist())
    print("eigenvalues:", m.eigenvals())
    print(f"pi to {args.digits} digits:", pi.evalf(args.digits))
    print(f"sqrt(2) to {args.digits} digits:", sqrt(2).evalf(args.digits))
    print("1/3 + 1/6 =", Rational(1, 3) + Rational(1, 6))
    pprint(integrate(1 / (1 + x**2), x), use_unicode=False)
    if args.physics:
        optics = importlib.import_module("sympy.physics." + args.physics)
        print("lens f = 30, object at -50: image at", optics.lens_formula(focal_length=30, u=-50))
        print("mirror f = 10, object at -30: image at", optics.mirror_formula(focal_length=10, u=-30))
        print("lens f = 20 after 10 of free space:", (optics.ThinLens(20) * optics.FreeSpace(10)).tolist())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
