#!/bin/sh
# As upstream's: `docker run IMAGE -fsS URL` runs curl; any other command runs as given.
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ]; then
  set -- curl "$@"
fi
exec "$@"
