#!/usr/bin/env bash
# Submits the encrypt job to the compose cluster. It runs in the setup service (flink image)
# after setup-topics has created the topics and the job manager's REST API responds. A job of
# the same name that is already running or scheduled is left alone, so `docker-compose up -d`
# can run this script again without submitting a second copy.
set -euo pipefail

REST_URL=${FLINK_REST_URL:-http://jobmanager:8081}
JOB_MANAGER=${REST_URL#http://}
JAR=/opt/job/cmek-flink.jar
JOB_FILE=/opt/job/jobs/compose-encrypt.yaml
JOB_NAME=cmek-flink-encrypt
REQUIRED_SLOTS=2
TIMEOUT_SECONDS=${SETUP_TIMEOUT_SECONDS:-180}

log() {
    echo "setup: $*"
}

fail() {
    echo "setup: error: $*" >&2
    exit 1
}

if [ ! -f "$JAR" ]; then
    fail "$JAR is missing or not a file. Run 'mvn -B -DskipTests package' on the host so that" \
        "target/cmek-flink.jar exists, then 'docker-compose up -d' again."
fi
if [ ! -f "$JOB_FILE" ]; then
    fail "$JOB_FILE is missing; the jobs/ directory of the repository is mounted at /opt/job/jobs."
fi

# The job manager is healthy before this service starts, but the task manager may still be
# registering. Without its slots the job would wait for resources and may fail with a slot
# request timeout, so this waits for them first.
log "waiting up to ${TIMEOUT_SECONDS}s for ${REQUIRED_SLOTS} task slots at ${REST_URL}"
deadline=$((SECONDS + TIMEOUT_SECONDS))
while true; do
    slots=$(curl -fsS "${REST_URL}/overview" | grep -o '"slots-total":[0-9]*' | cut -d: -f2 || true)
    if [ "${slots:-0}" -ge "$REQUIRED_SLOTS" ]; then
        break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        fail "the cluster has ${slots:-0} task slots after ${TIMEOUT_SECONDS}s, expected" \
            "${REQUIRED_SLOTS}; check 'docker-compose logs taskmanager'."
    fi
    sleep 2
done
log "the cluster has ${slots} task slots"

# Link org-demo to its seeded key with a signed key-change event. The signing key pair lives
# in the signing-keys volume, so that later runs sign with the key whose public half the
# running job holds. The commands of the job jar need no Flink classes.
KEYS=/opt/job/keys
CLI=(java -Daws.disableEc2Metadata=true -jar "$JAR")
if [ ! -f "$KEYS/signing-key.pem" ]; then
    "${CLI[@]}" keygen --private-key "$KEYS/signing-key.pem" --public-key "$KEYS/signing-public.pem"
fi
"${CLI[@]}" link-key --org org-demo --name org-demo \
    --arn arn:aws:kms:eu-west-1:111122223333:key/bc236807-76d8-489e-94b8-aeb46403fcf0 \
    --region eu-west-1 --geo EU --bootstrap kafka:19092 --topic key-changes \
    --signing-key "$KEYS/signing-key.pem" --public-key "$KEYS/signing-public.pem" \
    || fail "linking org-demo failed; see the message above"
log "linked org-demo to its key"

# `flink list` prints a line "<time> : <job id> : <name> (<state>)" per running or scheduled
# job. Its output goes into a variable first, because with pipefail `flink list | grep -q` can
# fail when grep exits early and flink gets SIGPIPE, and the job would then be submitted twice.
listed_jobs=$(flink list -m "$JOB_MANAGER")
if grep -q " : ${JOB_NAME} (" <<<"$listed_jobs"; then
    log "job ${JOB_NAME} is already running or scheduled; not submitting it again"
    exit 0
fi

# -d (detached) returns once the job is submitted, so that this one-shot service can exit.
log "submitting ${JOB_FILE}"
flink run -d -m "$JOB_MANAGER" "$JAR" run "$JOB_FILE"
log "submitted; the Flink UI is at http://127.0.0.1:8081"
