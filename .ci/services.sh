#!/usr/bin/env bash
# Start Redis and PostgreSQL on loopback when they are not already answering (a fresh machine).
set -u
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 && [[ $reply == +PONG* ]]) 2>/dev/null; }
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "services: starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  else
    echo "services: Redis is not reachable and redis-server is not installed (apt-get install redis-server)" >&2
  fi
fi
case " $* " in *" --with-postgres "*) with_postgres=1 ;; *) with_postgres= ;; esac
case " $* " in *" --with-browser "*) with_browser=1 ;; *) with_browser= ;; esac
case " $* " in *" --with-nginx "*) with_nginx=1 ;; *) with_nginx= ;; esac
if [ -n "$with_postgres" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
      echo "services: starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
      for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
    else
      echo "services: PostgreSQL is not reachable and not installed (apt-get install postgresql)" >&2
    fi
  fi
fi
# Debian's package PACKAGE, for the tests that need it (as root; else what to install).
apt_install() {
  local package=$1 why=$2
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "services: installing Debian's $package for $why"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" >/dev/null \
      || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" >/dev/null; }
  else
    echo "services: $package is missing: apt-get install $package ($why needs it)" >&2
  fi
}
# The browser tests drive Debian's Chromium; never a downloaded browser.
if [ -n "$with_browser" ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium "the browser tests"
fi
# tests/test_deploy.py checks deploy/nginx-seqscan.conf with `nginx -t` (Debian's policy-rc.d, where
# there is one, keeps the package from starting a server on port 80).
if [ -n "$with_nginx" ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  apt_install nginx-light "the nginx site's test"
fi
exit 0
