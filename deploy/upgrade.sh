#!/usr/bin/env bash
# Install a release and restart the app processes one by one (deploy/README.md, "Upgrades").
#
#   deploy/upgrade.sh --ref TAG_OR_COMMIT   the code from the git clone in $CHIDAO_HOME/repo
#   deploy/upgrade.sh --dir PATH            the code from a source folder (a copied tree, no git)
#   deploy/upgrade.sh --rollback            back to the release before the current one (no migration)
#
# Steps: unpack the code into $CHIDAO_HOME/releases/<id> (root-owned, read-only to the app); its
# virtualenv (shared by releases with the same requirements.txt); compile the translation catalogs;
# migrate the database once, as the service user; point $CHIDAO_HOME/current at the release; restart
# each process and wait for its /readyz before the next, so the others keep serving. Open sockets of a
# restarting process drop and reconnect (to another process while it is down); the browser then
# joins its rooms again and is sent what it missed.
#
# Settings (environment), defaults for the layout in deploy/README.md:
#   CHIDAO_HOME=/srv/chidao  CHIDAO_ENV_FILE=/etc/chidao/env  CHIDAO_USER=chidao (empty: the caller)
#   CHIDAO_PORTS="5001 5002"      default: the chidao@<port> units systemd knows
#   CHIDAO_RESTART="systemctl restart chidao@{port}"    {port} is replaced
#   CHIDAO_KEEP=5 releases kept   PYTHON=python3        CHIDAO_READY_TIMEOUT=90 seconds
set -euo pipefail
umask 022  # the release, its virtualenv and catalogs readable by the service user whatever root's umask

HOME_DIR=${CHIDAO_HOME:-/srv/chidao}
ENV_FILE=${CHIDAO_ENV_FILE:-/etc/chidao/env}
SERVICE_USER=${CHIDAO_USER-chidao}
DEFAULT_RESTART='systemctl restart chidao@{port}'
RESTART=${CHIDAO_RESTART:-$DEFAULT_RESTART}
KEEP=${CHIDAO_KEEP:-5}
PYTHON=${PYTHON:-python3}
READY_TIMEOUT=${CHIDAO_READY_TIMEOUT:-90}

say() { printf '[upgrade %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[upgrade] error: %s\n' "$*" >&2; exit 1; }
warn() { printf '[upgrade] warning: %s\n' "$*" >&2; }

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# a command in a release folder, with the app's settings, as the service user
in_release() {
  local release=$1; shift
  (
    set -a; . "$ENV_FILE"; set +a
    cd "$release"
    if [ -n "$SERVICE_USER" ] && [ "$(id -un)" != "$SERVICE_USER" ]; then
      exec runuser -u "$SERVICE_USER" -- "$@"
    fi
    exec "$@"
  )
}

ports() {
  if [ -n "${CHIDAO_PORTS:-}" ]; then
    echo "$CHIDAO_PORTS"
  elif command -v systemctl >/dev/null; then
    # running ones (and failed ones, which the new release may cure); not those an admin stopped
    systemctl list-units --plain --no-legend --state=active,activating,failed 'chidao@*.service' |
      sed -n 's/^chidao@\([0-9]*\)\.service.*/\1/p' | tr '\n' ' '
  fi
}

wait_ready() {
  local port=$1 python=$2
  "$python" - "$port" "$READY_TIMEOUT" <<'PY'
import sys, time, urllib.error, urllib.request
port, timeout = sys.argv[1], float(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an http_proxy
path, deadline = "/readyz", time.time() + timeout
while time.time() < deadline:
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=2) as res:
            if res.status == 200:
                sys.exit(0)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            path = "/healthz"  # a release from before /readyz (a rollback to it)
    except OSError:
        pass
    time.sleep(0.25)
sys.exit(1)
PY
}

restart_all() {
  local release=$1 port started
  local list; list=$(ports)
  if [ -z "${list// /}" ]; then
    say "no app processes to restart (none configured yet: deploy/README.md, step 7)"
    return
  fi
  for port in $list; do
    started=$(date +%s%N)
    say "restarting the process on port $port"
    sh -c "${RESTART//"{port}"/$port}"
    wait_ready "$port" "$release/.venv/bin/python" ||
      die "the process on port $port is not ready after ${READY_TIMEOUT}s; the others still run. See: journalctl -u chidao@$port; back: $0 --rollback"
    say "port $port ready in $(( ($(date +%s%N) - started) / 1000000 )) ms"
  done
}

switch_to() {  # point current at $1; the release it pointed at becomes previous (for --rollback)
  if [ -L "$HOME_DIR/current" ]; then
    ln -sfn "$(readlink -f "$HOME_DIR/current")" "$HOME_DIR/previous.new"
    mv -T "$HOME_DIR/previous.new" "$HOME_DIR/previous"
  fi
  ln -sfn "$1" "$HOME_DIR/current.new"
  mv -T "$HOME_DIR/current.new" "$HOME_DIR/current"
  say "current -> $(basename "$1")"
}

unpack() {  # unpack <target> : the code of the release into <target>
  local target=$1
  mkdir -p "$target"
  if [ -n "$REF" ]; then
    local repo=$HOME_DIR/repo
    [ -d "$repo/.git" ] || [ -f "$repo/HEAD" ] || die "no git clone at $repo (deploy/README.md, step 3)"
    if [ -n "$(git -C "$repo" remote)" ]; then
      # offline (a bundle that is not mounted now): install what the clone already has
      git -C "$repo" fetch --quiet --tags --force origin ||
        warn "could not fetch from origin; installing $REF as the clone has it"
    fi
    # a branch as origin has it (a local branch is not moved by fetch), then a tag, then a commit id
    local sha="" candidate
    for candidate in "refs/remotes/origin/$REF" "refs/tags/$REF" "$REF"; do
      sha=$(git -C "$repo" rev-parse --verify --quiet "$candidate^{commit}") && break
    done
    [ -n "$sha" ] || die "unknown ref $REF in $repo"
    git -C "$repo" archive "$sha" | tar -x -C "$target"
    printf '%s\nref %s %s\n' "$ID" "$REF" "$sha" > "$target/RELEASE"
  else
    [ -f "$DIR/wsgi.py" ] || die "$DIR is not the app's source folder (no wsgi.py)"
    if git -C "$DIR" rev-parse --git-dir >/dev/null 2>&1; then
      # what git tracks or would track: no .venv, instance/, node_modules
      (cd "$DIR" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -c) | tar -x -C "$target"
    else
      tar -C "$DIR" --exclude=.venv --exclude=instance --exclude=node_modules -c . | tar -x -C "$target"
    fi
    printf '%s\ndir %s\n' "$ID" "$DIR" > "$target/RELEASE"
  fi
}

venv_for() {  # venv_for <release> : link the release to a virtualenv with its requirements
  local release=$1 hash venv
  hash=$(sha256sum "$release/requirements.txt" | cut -c1-16)
  venv=$HOME_DIR/venvs/$hash
  if [ ! -f "$venv/.complete" ]; then
    say "virtualenv for these requirements: $venv (installing)"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r "$release/requirements.txt"
    touch "$venv/.complete"
  else
    say "virtualenv for these requirements: $venv (already installed)"
  fi
  ln -sfn "$venv" "$release/.venv"
}

prune() {  # the newest $KEEP releases stay, and always current and previous
  local current previous old dir
  current=$(readlink -f "$HOME_DIR/current")
  previous=$(readlink -f "$HOME_DIR/previous" 2>/dev/null || true)
  old=$(ls -1d "$HOME_DIR"/releases/*/ 2>/dev/null | sed 's:/$::' | sort | head -n -"$KEEP" || true)
  for dir in $old; do
    case "$(readlink -f "$dir")" in "$current" | "$previous") continue ;; esac
    rm -rf "$dir"
  done
  local used=" "
  for link in "$HOME_DIR"/releases/*/.venv; do
    [ -L "$link" ] && used+="$(readlink -f "$link") "
  done
  for venv in "$HOME_DIR"/venvs/*/; do
    venv=${venv%/}
    [[ "$used" == *" $(readlink -f "$venv") "* ]] || rm -rf "$venv"
  done
}

REF="" DIR="" ROLLBACK=""
while [ $# -gt 0 ]; do
  case $1 in
    --ref) REF=${2:?--ref needs a tag or commit}; shift 2 ;;
    --dir) DIR=$(cd "${2:?--dir needs a folder}" && pwd); shift 2 ;;
    --rollback) ROLLBACK=1; shift ;;
    *) usage ;;
  esac
done
[ -n "$REF$DIR$ROLLBACK" ] || usage
[ -r "$ENV_FILE" ] || die "cannot read $ENV_FILE (deploy/README.md, step 5)"
mkdir -p "$HOME_DIR/releases" "$HOME_DIR/venvs"
exec 9>"$HOME_DIR/.upgrade.lock"
flock -n 9 || die "another upgrade.sh is running (lock $HOME_DIR/.upgrade.lock)"

if [ -n "$ROLLBACK" ]; then
  [ -L "$HOME_DIR/current" ] || die "nothing installed yet ($HOME_DIR/current is missing)"
  [ -L "$HOME_DIR/previous" ] && [ -d "$HOME_DIR/previous/" ] ||
    die "no previous release to go back to ($HOME_DIR/previous)"
  previous=$(readlink -f "$HOME_DIR/previous")
  [ "$previous" != "$(readlink -f "$HOME_DIR/current")" ] || die "the previous release is the current one"
  say "rolling back to $(basename "$previous") (the database stays as it is: migrations only add)"
  switch_to "$previous"
  restart_all "$previous"
  say "done"
  exit 0
fi

ID=$(date +%Y%m%d-%H%M%S)
release=$HOME_DIR/releases/$ID
[ ! -e "$release" ] || die "$release exists; wait a second and run again"
rm -rf "$release.partial"
say "unpacking the release into $release"
unpack "$release.partial"
venv_for "$release.partial"
say "compiling the translation catalogs"
# the function behind `flask translations compile`, without starting the app: started as root here, the
# app could create root-owned folders in the instance folder that its own user then cannot write
(cd "$release.partial" &&
  .venv/bin/python -c 'from core.i18n import compile_catalogs; print(f"  {len(compile_catalogs(every=True))} catalogs")')
# bytecode now: the service user cannot write __pycache__ into the root-owned release
"$release.partial/.venv/bin/python" -m compileall -q -j 0 -x '/(node_modules|\.venv)/' "$release.partial" >/dev/null
chmod -R go-w "$release.partial"
say "migrating the database (once, as ${SERVICE_USER:-$(id -un)})"
in_release "$release.partial" .venv/bin/flask --app wsgi init-db
# only a release that migrated becomes a release (and so a candidate for current and previous)
mv "$release.partial" "$release"
switch_to "$release"
restart_all "$release"
prune
say "done: $(cat "$release/RELEASE")"
