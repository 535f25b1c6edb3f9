#!/usr/bin/env bash
# A fresh venv with the interpreter's own pip (python3.11 -m venv, no pip upgrade) installs the
# runtime lock (requirements.txt, hashes checked) and the project, as the Dockerfile does; then
# every source kind imports what it needs and polls a local server (.ci/stock_pip_smoke.py).
# This is what `pip install -e .` under an old pip got wrong (lxml.html.clean missing).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
PYTHON=${STOCK_PYTHON:-python3.11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
"$PYTHON" -m venv "$work/venv"
py="$work/venv/bin/python"
echo "stock pip: $("$py" -m pip --version)"
"$py" -m pip install -q --require-hashes -r requirements.txt
"$py" -m pip install -q --no-deps .
"$py" -m pip check
# from outside the checkout, so the installed package is what is imported
(cd "$work" && "$py" -c "import lxml.html.clean, trafilatura, justext; print('imports: ok')")
(cd "$work" && "$py" "$repo/.ci/stock_pip_smoke.py")
echo "stock-pip install and smoke poll: $((SECONDS - start)) s"
