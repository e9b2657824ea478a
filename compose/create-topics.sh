#!/usr/bin/env bash
# Creates the topics of jobs/compose-*.yaml on the compose broker. It runs in the
# setup-topics service (apache/kafka image) once the broker is healthy. Existing topics are
# left as they are, so the script can run again after a restart.
set -euo pipefail

BOOTSTRAP=${BOOTSTRAP_SERVERS:-kafka:19092}
TOPICS=/opt/kafka/bin/kafka-topics.sh

# Creates one topic with replication factor 1 and passes extra arguments to kafka-topics.sh.
create_topic() {
    local topic=$1 partitions=$2
    shift 2
    echo "setup-topics: creating ${topic} unless it exists (partitions: ${partitions})"
    "$TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$topic" --partitions "$partitions" --replication-factor 1 "$@"
}

# Two partitions of input records, so that the two task slots both read.
create_topic api-logs 2
# Key-change events are keyed by org id. Compaction keeps the latest event of every org, and the
# job replays the whole topic at start. One partition keeps all events in one order.
create_topic key-changes 1 --config cleanup.policy=compact
create_topic api-logs-encrypted 2
create_topic api-logs-dead-letters 2
# Topics of jobs/compose-decrypt.yaml and jobs/compose-rewrap.yaml. The plaintext topic outlives
# a later revocation of the org's key, so it keeps records for one hour only.
create_topic api-logs-plaintext 2 --config retention.ms=3600000
create_topic api-logs-decrypt-dead-letters 2
create_topic api-logs-rewrapped 2
create_topic api-logs-rewrap-dead-letters 2

"$TOPICS" --bootstrap-server "$BOOTSTRAP" --describe \
    --topic '(api-logs|key-changes).*'
