"""Count the lines of the teaching modules' function bodies that are checks or backend hand-offs.

A body line is counted as a *check* when it calls a ``check_...`` function or raises, and as a *hand-off* when it is
the ``if (K := accelerated(backend)) is not None:`` line (or another line that tests ``K``). Docstrings, blank
lines and comments are not body lines. Prints per module and in total; ``--max-percent P`` exits 1 above P.
"""

import argparse
import ast
import pathlib
import sys

TEACHING = (
    "activations losses network batchnorm init optim schedules descent graph gradcheck regression normalize "
    "datasets sequential train modelfile"
).split()
ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEC_METHODS = ("check", "domain", "__repr__")  # a declaration's own methods (nn_ref._checks specs), not a body


def body_lines(fn, source_lines):
    """The source lines of ``fn``'s body, without its docstring, blank lines and comments."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    if not body:
        return []
    lines = source_lines[body[0].lineno - 1 : fn.end_lineno]
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def is_check(line):
    return line.startswith(("raise ", "check_")) or " check_" in line or "= check_" in line


def is_hand_off(line):
    return "accelerated(" in line or line.startswith(("if K is not None", "if K is None"))


def count(module, root=ROOT):
    path = pathlib.Path(root) / "nn_ref" / f"{module}.py"
    source = path.read_text()
    lines = source.splitlines()
    total = checks = hand_offs = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in SPEC_METHODS:
            own = body_lines(node, lines)
            total += len(own)
            checks += sum(map(is_check, own))
            hand_offs += sum(map(is_hand_off, own))
    return total, checks, hand_offs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-percent", type=float)
    p.add_argument("--root", default=ROOT, help="the checkout to count (default: this one)")
    args = p.parse_args(argv)
    T = C = H = 0
    for module in TEACHING:
        t, c, h = count(module, args.root)
        T, C, H = T + t, C + c, H + h
        print(f"{module:<12} {t:5d} body lines  {c:4d} checks  {h:4d} hand-offs  {100 * (c + h) / max(t, 1):5.1f} %")
    percent = 100 * (C + H) / max(T, 1)
    print(f"{'total':<12} {T:5d} body lines  {C:4d} checks  {H:4d} hand-offs  {percent:5.1f} %")
    return 1 if args.max_percent is not None and percent > args.max_percent else 0


if __name__ == "__main__":
    sys.exit(main())
