#!/bin/sh
# Container entrypoint: `run` (the default) applies database migrations, then replaces this shell
# with the daemon so it receives SIGTERM directly. Any other arguments run that subcommand.
set -eu

# New files get group 0 write access: a later start under another arbitrary UID (always GID 0)
# can still use them. Nothing is world-readable.
umask 0007

if [ "$#" -eq 0 ]; then
    set -- run
fi

if [ "$1" = run ]; then
    # SQLite creates its database with mode 0644 whatever the umask allows; create the file first
    # (an empty file is a valid empty database) so it is group-writable too.
    case "${WHOSEONFIRST_DATABASE_URL:-}" in
        sqlite:////*)
            db_file=${WHOSEONFIRST_DATABASE_URL#sqlite:///}
            db_file=${db_file%%\?*}
            if [ ! -e "$db_file" ]; then
                : >"$db_file"
            fi
            chmod g+rw "$db_file" 2>/dev/null || true
            ;;
    esac
    whoseonfirst-service db upgrade
fi

exec whoseonfirst-service "$@"
