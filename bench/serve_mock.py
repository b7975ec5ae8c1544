"""The mock under uvicorn with production settings and N generated people (a process of its own).

Built as ``profile-harness serve --generate N --seed S`` builds it, then served without reload, at log
level warning, with the access log off; uvicorn picks uvloop and httptools when they are installed.
"""

from __future__ import annotations

import argparse
import gc
import sys

from bench_common import serve

from profile_harness.app import create_app
from profile_harness.options import HarnessOptions
from profile_harness.seed.demo import generated_document
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--generate", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    store = Store(seed=args.seed)
    load_document(store, generated_document(args.generate, seed=args.seed), "generated data", trusted=True)
    app = create_app(store, options=HarnessOptions())
    gc.collect()  # as serve does: the world is never walked by the cyclic collector again
    gc.freeze()
    print(f"mock ready to serve on {args.port}", file=sys.stderr, flush=True)
    serve(app, args.port)


if __name__ == "__main__":
    main()
