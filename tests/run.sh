#!/usr/bin/env bash
# Install everything the tests need and run them: the command README.md gives new users,
# and the one CI runs. Extra arguments go to pytest (e.g. tests/run.sh -k search -x).
#
# System packages (Debian): chromium + chromium-driver (the Datasette browser test),
# redis-server (distributed crawls), sqlite3 (what a tool without our plugin sees),
# gcc and Python's headers (the C extensions for ranking and the page walk, which the tests
# require).
# They are installed with apt-get when missing (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || need+=(python3-dev)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "tests/run.sh: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
# The C extensions (crawler/search/_rank.c, crawler/extract/_walk.c,
# crawler/archive/_shingles.c, crawler/search/_tokens.c) are optional for
# users; CI must have them built.
export NEWSARCHIVE_REQUIRE_SPEEDUPS=1
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"
