# busybox httpd in the foreground on $PORT (default 9090). As PID 1 it would ignore SIGTERM, so
# this shell forwards it and reports a clean stop.
httpd -f -p "${PORT:-9090}" -h /www &
pid=$!
trap 'kill -TERM "$pid"; wait "$pid"; exit 0' TERM INT
wait "$pid"
