# Shared set-up, sourced by scripts/run.sh and scripts/test.sh.
# Finds Python >= 3.12, installs the locked dependencies into .venv with uv, compiles messages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
UV_VERSION=0.13.9

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  # pyenv installs that are not the active version (their shims refuse to run).
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 \
                   "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || {
  echo "Python 3.12 or 3.13 is required but none was found." >&2
  echo "Install one (e.g. 'apt-get install python3.13' or 'pyenv install 3.13') and retry." >&2
  exit 1
}
log "Python: $PYTHON ($("$PYTHON" --version))"

# uv lives in its own small venv so that 'uv sync' never removes it from .venv.
if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  log "Installing uv $UV_VERSION"
  "$PYTHON" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
log "Installing the locked dependencies into .venv"
UV_PROJECT_ENVIRONMENT="$ROOT/.venv" .tools/bin/uv sync --locked --quiet \
  --python "$PYTHON" --no-python-downloads
PY="$ROOT/.venv/bin/python"

log "Compiling translations"
"$PY" manage.py compilemessages --ignore=.venv --ignore=.tools -v0
