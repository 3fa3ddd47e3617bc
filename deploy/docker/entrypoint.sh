#!/bin/sh
# Container entry point of every OCOP image.
#
# * The service listens on all interfaces (OCOP_<SERVICE>_HTTP_HOST=0.0.0.0) unless told
#   otherwise: the settings' default, 127.0.0.1, is unreachable from outside a container.
# * A service subcommand (serve, migrate, asyncapi, import-file, --help) runs
#   `ocop-$OCOP_SERVICE <subcommand> ...`; anything else runs as given (e.g. `ocop status` or
#   `python -m ocop_shared.devstack.mailsink ...`).
set -eu
: "${OCOP_SERVICE:?OCOP_SERVICE is not set (the image is built with --build-arg SERVICE)}"
prefix="OCOP_$(printf '%s' "$OCOP_SERVICE" | tr '[:lower:]' '[:upper:]')"
eval "host=\${${prefix}_HTTP_HOST:-0.0.0.0}"
export "${prefix}_HTTP_HOST=${host}"
case "${1:-serve}" in
  serve|migrate|asyncapi|import-file|--help)
    exec "ocop-${OCOP_SERVICE}" "$@" ;;
  *)
    exec "$@" ;;
esac
