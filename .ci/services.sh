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
if [ "${1:-}" = "--with-postgres" ]; then
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
exit 0
