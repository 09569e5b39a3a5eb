# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
# Sourcing it moves to the repository root, whatever folder the caller started in.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True if "$1" runs and is Python 3.12 or newer. Running it matters: pyenv's python3.12 shim
# exists on PATH but fails unless pyenv has been told which version to use.
python_ok() {
    [[ -n "$1" ]] && "$1" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1
}

# Print the path of a working Python 3.12+ interpreter, or stop with advice.
find_python() {
    if [[ -n "${PYTHON:-}" ]]; then
        python_ok "$PYTHON" || die "PYTHON=$PYTHON is not a working Python 3.12 or newer."
        "$PYTHON" -c 'import sys; print(sys.executable)'
        return
    fi
    local candidates=() c name root
    for name in python3.13 python3.12 python3; do
        c="$(command -v "$name" 2>/dev/null)" && candidates+=("$c")
    done
    root="$(pyenv root 2>/dev/null || echo ~/.pyenv)"
    # Newest first: sort the version folders by version number, highest first.
    while IFS= read -r c; do
        [[ -n "$c" ]] && candidates+=("$c")
    done < <(
        shopt -s nullglob
        for c in "$root"/versions/3.1[2-9]*/bin/python3; do echo "$c"; done | sort -V -r
    )
    local dir minor
    for dir in /usr/local/bin /usr/bin; do
        for minor in 19 18 17 16 15 14 13 12; do
            [[ -x "$dir/python3.$minor" ]] && candidates+=("$dir/python3.$minor")
        done
    done
    for c in "${candidates[@]}"; do
        if python_ok "$c"; then
            # The real interpreter, not a shim, so the venv does not depend on pyenv's mood.
            "$c" -c 'import sys; print(sys.executable)'
            return
        fi
    done
    die "Speak Up needs Python 3.12 or newer; install it from python.org or your package" \
        "manager, or set PYTHON=/path/to/python3.12"
}

# Make sure .venv exists with Python 3.12+ and holds exactly requirements/<lock file>.
# Installs only when the lock file changed since the last install (hash kept in a stamp file),
# then puts .venv/bin first on PATH. Stops on any failure, with or without `set -e`.
ensure_venv() {
    local lock="requirements/$1"
    local stamp=".venv/.installed-${1%.txt}"
    [[ -f "$lock" ]] || die "$lock is missing."
    # One script at a time sets the venv up: scripts/run and scripts/test started together in
    # a new clone both made .venv and one failed ("File exists"). flock is util-linux's; where
    # there is none (macOS), no lock. Released when this returns, or when the script exits.
    local held=""
    if command -v flock >/dev/null 2>&1; then
        mkdir -p .local
        exec {held}>.local/venv.lock
        flock "$held"
    fi
    if ! python_ok .venv/bin/python; then
        local py
        py="$(find_python)" || exit 1
        if [[ -e .venv ]]; then
            say "Rebuilding .venv: its Python is missing, broken or older than 3.12."
        fi
        say "Creating .venv with $("$py" --version 2>&1) ($py)"
        "$py" -m venv --clear .venv || die "could not create .venv with $py"
    fi
    local sum
    sum="$(.venv/bin/python -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$lock")" || die "cannot read $lock"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$sum" ]]; then
        say "Installing $lock into .venv (only when it changes)"
        .venv/bin/python -m pip install --disable-pip-version-check -q --require-hashes -r "$lock" ||
            die "installing $lock failed (see pip's message above)"
        printf '%s\n' "$sum" >"$stamp"
    fi
    if [[ -n "$held" ]]; then
        exec {held}>&-
    fi
    export VIRTUAL_ENV="$REPO_ROOT/.venv"
    export PATH="$VIRTUAL_ENV/bin:$PATH"
    hash -r
}
