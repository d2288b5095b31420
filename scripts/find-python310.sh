#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter, or explain why there is none.
# Order: $PYTHON310 if set, a python3.10 on PATH that really runs, pyenv's 3.10.13.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
if [ -n "${PYTHON310:-}" ] && ok "$PYTHON310"; then echo "$PYTHON310"; exit 0; fi
if command -v python3.10 >/dev/null 2>&1 && ok python3.10; then command -v python3.10; exit 0; fi
if command -v pyenv >/dev/null 2>&1; then
  for v in 3.10.13 $(pyenv versions --bare 2>/dev/null | grep '^3\.10' || true); do
    p=$(PYENV_VERSION=$v pyenv which python3.10 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
  done
fi
echo "error: no Python 3.10 found (Rasa 3.6 needs Python 3.8-3.10)." >&2
echo "       Install one (e.g. 'pyenv install 3.10.13') or put python3.10 on PATH, or set PYTHON310=/path/to/python3.10." >&2
exit 1
