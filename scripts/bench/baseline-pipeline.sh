#!/usr/bin/env bash
# The baseline for `npm run bench:pipeline`: the same work as `trunkline pipeline`, done the
# plain way a team would write it in a ci.yml — docker build, docker run + curl | grep on
# /metrics, docker push, a signature file made with openssl, sed on the HelmRelease and values,
# git commit and push. No gates beyond grep, no verification, no byte-exact editing.
# Prints one line per stage: `stage <name> <milliseconds>`.
#
# Environment: REGISTRY (127.0.0.1:port), FLUX_REMOTE (bare repo), WORK (scratch dir),
# SERVICE_DIR, BUILDER_IMAGE, RUNTIME_IMAGE, ESLINT (eslint binary).
set -euo pipefail
: "${REGISTRY:?}" "${FLUX_REMOTE:?}" "${WORK:?}" "${SERVICE_DIR:?}" "${BUILDER_IMAGE:?}" "${RUNTIME_IMAGE:?}" "${ESLINT:?}"

now_ms() { date +%s%3N; }
current=setup
trap 'echo "baseline: stage ${current} failed" >&2' ERR
timed() {
  local name=$1 start end
  shift
  current=$name
  start=$(now_ms)
  "$@"
  end=$(now_ms)
  echo "stage ${name} $((end - start))"
}

sha=$(git -C "$SERVICE_DIR" rev-parse HEAD)
short=${sha:0:7}
image="${REGISTRY}/sample-service"

lint() { (cd "$SERVICE_DIR" && "$ESLINT" --max-warnings=0 src >/dev/null); }

build() {
  DOCKER_BUILDKIT=0 docker build --quiet --network host \
    --build-arg "BUILDER_IMAGE=${BUILDER_IMAGE}" --build-arg "RUNTIME_IMAGE=${RUNTIME_IMAGE}" \
    --build-arg "GIT_SHA=${sha}" \
    -t "${image}:sha-${short}" -t "${image}:latest" "$SERVICE_DIR" >/dev/null
}

probe() {
  local port=18089 name="baseline-probe-$$"
  docker run -d --rm --name "$name" --network host -e PORT="$port" -e ENABLE_METRICS=true "${image}:sha-${short}" >/dev/null
  local ok=0
  for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:${port}/readyz" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:${port}/" >/dev/null
  local status=0 metrics=''
  # Read the whole body first: `curl | grep -q` under pipefail fails when grep exits at the first
  # match and curl, still writing, dies of SIGPIPE.
  metrics=$(curl -fs "http://127.0.0.1:${port}/metrics") || status=1
  grep -qF 'http_requests_total{handler="/",method="GET",status="200"}' <<<"$metrics" || status=1
  docker rm -f "$name" >/dev/null
  [ "$ok" = 1 ] && [ "$status" = 0 ]
}

push() {
  docker push --quiet "${image}:sha-${short}" >/dev/null
  docker push --quiet "${image}:latest" >/dev/null
}

sign() {
  local digest
  digest=$(docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "${image}:sha-${short}" | grep "^${image}@" | head -1 | cut -d@ -f2)
  [ -f "$WORK/cosign.key" ] || openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/cosign.key" 2>/dev/null
  printf '%s' "$digest" > "$WORK/digest"
  openssl dgst -sha256 -sign "$WORK/cosign.key" -out "$WORK/image.signature" "$WORK/digest"
  [ -s "$WORK/image.signature" ]
}

bump() {
  local checkout="$WORK/flux" branch=trunkline/bump/sample-service digest
  digest=$(cat "$WORK/digest")
  rm -rf "$checkout"
  git clone --quiet "$FLUX_REMOTE" "$checkout"
  if git -C "$checkout" ls-remote --exit-code --heads origin "$branch" >/dev/null 2>&1; then
    git -C "$checkout" fetch --quiet origin "$branch" && git -C "$checkout" checkout --quiet -B "$branch" FETCH_HEAD
  else
    git -C "$checkout" checkout --quiet -b "$branch"
  fi
  for f in apps/sample-service/flux/helmrelease.yaml apps/sample-service/chart/values.yaml; do
    sed -i -E "s|^( *tag: ).*|\\1\"sha-${short}\"|; s|^( *digest: ).*|\\1\"${digest}\"|" "$checkout/$f"
  done
  if ! git -C "$checkout" diff --quiet; then
    git -C "$checkout" -c user.name=baseline -c user.email=baseline@localhost commit --quiet -am "bump sample-service to sha-${short}"
    git -C "$checkout" push --quiet origin "$branch"
  fi
}

# Sourced (by scripts/test/baseline-pipeline.test.ts), it only defines the stages.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  timed lint lint
  timed build build
  timed probe probe
  timed push push
  timed sign sign
  timed bump bump
fi
