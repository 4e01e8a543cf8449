#!/usr/bin/env bash
# Install the WhoseOnFirst service on RHEL 9 (or any systemd >= 252 distribution).
#
#   sudo installer/rhel/install.sh                      # install or upgrade on this machine
#   installer/rhel/install.sh --root /tmp/t --no-venv   # lay out the tree in a folder (tests)
#
# Safe to run again: it upgrades the package in the virtual environment, refreshes the unit file,
# and never overwrites /etc/whoseonfirst/service.env or anything in /etc/whoseonfirst/credentials/.
set -euo pipefail

readonly SERVICE_USER=whoseonfirst
readonly UNIT_NAME=whoseonfirst-service.service

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=/
source_dir=$(cd -- "$script_dir/../.." && pwd)
python=
make_venv=1

usage() {
    cat <<EOF
Usage: $(basename -- "$0") [--root DIR] [--source DIR] [--python PATH] [--no-venv]

  --root DIR     install below DIR instead of / (system changes such as useradd and
                 systemctl are then only printed, never run)
  --source DIR   project checkout to pip-install (default: $source_dir)
  --python PATH  interpreter for the virtual environment, 3.11 or newer
                 (default: python3.12 if installed, else python3)
  --no-venv      do not create the virtual environment or pip-install (layout only)
  -h, --help     show this help

Creates /opt/whoseonfirst/venv, /etc/whoseonfirst/service.env (only if missing),
/etc/whoseonfirst/credentials/ (0700), /var/lib/whoseonfirst (0700) and
/etc/systemd/system/$UNIT_NAME (always refreshed).
EOF
}

die() {
    printf 'install.sh: %s\n' "$*" >&2
    exit 1
}

need_value() {
    [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --root) need_value "$@"; root=$2; shift 2 ;;
        --source) need_value "$@"; source_dir=$2; shift 2 ;;
        --python) need_value "$@"; python=$2; shift 2 ;;
        --no-venv) make_venv=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done

# Everything is written below $prefix; "" for the real root so messages show real paths.
[[ $root == /* ]] || root="$PWD/$root"
prefix=${root%/}
while [[ $prefix == */ ]]; do prefix=${prefix%/}; done

# Only a real install (root is / and we are root) creates the user and talks to systemd.
live=0
if [[ -z $prefix ]]; then
    [[ $(id -u) -eq 0 ]] || die "installing into / needs root: run with sudo, or pass --root DIR"
    live=1
else
    mkdir -p -- "$prefix"
fi

# Runs a system command on a live install; otherwise shows what a live install would run.
system() {
    if [[ $live -eq 1 ]]; then
        "$@"
    else
        printf 'would run:'
        printf ' %q' "$@"
        printf '\n'
    fi
}

opt_dir=$prefix/opt/whoseonfirst
etc_dir=$prefix/etc/whoseonfirst
state_dir=$prefix/var/lib/whoseonfirst
unit_dir=$prefix/etc/systemd/system
venv=$opt_dir/venv

# 1. The service user (no login shell, home is the state directory).
if [[ $live -eq 1 ]] && getent passwd "$SERVICE_USER" >/dev/null; then
    echo "user $SERVICE_USER exists"
else
    system useradd --system --user-group --home-dir /var/lib/whoseonfirst --no-create-home \
        --shell /sbin/nologin --comment "WhoseOnFirst service" "$SERVICE_USER"
fi

# 2. Directories. install -d sets the mode every time, so a loosened mode is repaired on re-run.
install -d -m 0755 -- "$opt_dir" "$etc_dir" "$unit_dir"
install -d -m 0700 -- "$etc_dir/credentials"
install -d -m 0700 -- "$state_dir"
system chown root:root /etc/whoseonfirst/credentials
system chown "$SERVICE_USER:$SERVICE_USER" /var/lib/whoseonfirst

# 3. The virtual environment with the service (no GUI extra: the service does not need Qt).
if [[ $make_venv -eq 1 ]]; then
    [[ -f $source_dir/pyproject.toml ]] || die "--source $source_dir has no pyproject.toml"
    if [[ -z $python ]]; then
        # `command -v` is not enough: a pyenv shim exists even when it cannot run.
        if python3.12 -c '' 2>/dev/null; then python=python3.12; else python=python3; fi
    fi
    version_ok=$("$python" -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null) ||
        die "cannot run $python; install python3.12 (dnf install python3.12) or pass --python PATH"
    [[ $version_ok == 1 ]] ||
        die "$python is older than 3.11; install python3.12 (dnf install python3.12) or pass --python PATH"
    if [[ ! -x $venv/bin/python ]]; then
        echo "creating virtual environment $venv"
        "$python" -m venv -- "$venv"
    fi
    echo "installing $source_dir into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade -- "$source_dir"
fi
install -m 0644 -- "$script_dir/README.md" "$opt_dir/README.md"

# 4. Settings: created once, then the operator's.
if [[ -e $etc_dir/service.env ]]; then
    echo "keeping existing /etc/whoseonfirst/service.env"
else
    install -m 0640 -- "$script_dir/service.env.example" "$etc_dir/service.env"
    echo "created /etc/whoseonfirst/service.env"
fi

# 5. The unit: always the packaged version; local changes belong in drop-ins.
install -m 0644 -- "$script_dir/$UNIT_NAME" "$unit_dir/$UNIT_NAME"
if command -v restorecon >/dev/null; then
    system restorecon -R /opt/whoseonfirst /etc/whoseonfirst /var/lib/whoseonfirst \
        "/etc/systemd/system/$UNIT_NAME"
fi
system systemctl daemon-reload

cat <<EOF

Installed into ${prefix:-/}. Next steps:
  1. Store the Twilio auth token (root-only, never in service.env):
       sudo install -m 0600 -o root -g root /dev/null /etc/whoseonfirst/credentials/twilio_auth_token
       sudo vi /etc/whoseonfirst/credentials/twilio_auth_token
  2. Set TWILIO_ACCOUNT_SID and TWILIO_FROM_NUMBER in /etc/whoseonfirst/service.env
  3. sudo systemctl enable --now whoseonfirst-service
  4. systemctl status whoseonfirst-service; curl -fsS http://127.0.0.1:8787/healthz
EOF
