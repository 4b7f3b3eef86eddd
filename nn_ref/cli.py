"""The ``nn-ref`` command line. Each verb is a small function below; ``nn-ref VERB --help``."""
import argparse
import sys


def _int_list(text):
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 4,5,3,1, got {text!r}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="nn-ref", description="nn-ref: the lecture's neural network, step by step")
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")
    # each verb registers itself here: _add_<verb>(sub)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
