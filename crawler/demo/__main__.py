"""``python -m crawler.demo [--port N] [--root DIR] [--log FILE]``: serve the demo portal."""

from __future__ import annotations

import argparse
import sys

from crawler.demo import PORTAL_DIR, base_url, make_server, serve_until_interrupted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--root", default=str(PORTAL_DIR), help="folder to serve")
    parser.add_argument("--log", default=None, help="append 'METHOD PATH STATUS' lines here")
    args = parser.parse_args(argv)
    server = make_server(args.root, args.host, args.port, args.log)
    print(base_url(server), flush=True)
    serve_until_interrupted(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
