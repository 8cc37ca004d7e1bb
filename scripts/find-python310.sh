#!/usr/bin/env bash
# Print the path of a working Python 3.10, or explain how to get one and fail.
# Order: $PYTHON, python3.10 on PATH (if it really runs), pyenv's 3.10.x,
# `uv python find 3.10`.
set -u

works() {
  [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

if [ -n "${PYTHON:-}" ]; then
  if works "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a working Python 3.10." >&2
  exit 1
fi

candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for dir in $(ls -d "$root"/versions/3.10* 2>/dev/null | sort -rV); do
    candidates+=("$dir/bin/python3.10" "$dir/bin/python")
  done
fi
for dir in $(ls -d "$HOME"/.pyenv/versions/3.10* 2>/dev/null | sort -rV); do
  candidates+=("$dir/bin/python3.10")
done
if command -v uv >/dev/null 2>&1; then
  found=$(uv python find 3.10 2>/dev/null) && candidates+=("$found")
fi

for candidate in "${candidates[@]}"; do
  if works "$candidate"; then echo "$candidate"; exit 0; fi
done

cat >&2 <<'MSG'
No working Python 3.10 found (Rasa 3.6 needs exactly 3.10).
Install one, for example:
  pyenv install 3.10.13          # then run make again
  uv python install 3.10
  apt-get install python3.10 python3.10-venv   (where your distribution has it)
or point the Makefile at one: make run PYTHON=/path/to/python3.10
MSG
exit 1
