#!/bin/sh
# Install what the tests need from Debian's packages when it is missing: Chromium for the
# browser tests, PostgreSQL binaries for the database tests, CJK fonts for readable screenshots,
# nginx for checking the example site, Redis for the shared rate limits and the load tests.
# With arguments, only those commands instead, each from the Debian package of its name
# (for a tool a make target needs on its own).
set -eu
missing=""
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ $# = 0 ]; then
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
    || missing="$missing postgresql"
  [ -d /usr/share/fonts/opentype/noto ] || missing="$missing fonts-noto-cjk"
  command -v runuser >/dev/null 2>&1 || missing="$missing util-linux"
  # nginx: tests/deploy checks the example site with nginx -t; tests/tls runs it from a temporary
  # folder in front of gunicorn (the service is not started). openssl makes their certificates.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
  # redis-server: tests start a throwaway one (--save "" --appendonly no); the service is not used.
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  # The Nu HTML checker (tests/views/test_html_validity.py): Java runs it, npm fetches its jar.
  command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
  command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages:$missing" >&2
  echo "install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
