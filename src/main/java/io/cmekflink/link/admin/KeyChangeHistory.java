package io.cmekflink.link.admin;

import io.cmekflink.link.InvalidKeyLinkException;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLink;
import io.cmekflink.link.KeyLinkRules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The key-change events of one org, collected from the records of the key-change topic, and the
 * link they add up to.
 *
 * <p>An event belongs to the org when its {@code org_id} field equals the org id, whatever its
 * Kafka key, because the job reads the org from the event. Records that do not decode as key-change
 * events are counted and skipped. When public keys are given, events of the org that none of them
 * verifies are counted and skipped too, as the job skips them.
 *
 * <p>Not thread-safe: one reader feeds it.
 */
public final class KeyChangeHistory {

    private final String orgId;
    private final KeyChangeSignatures signatures;
    private final List<KeyChangeEvent> events = new ArrayList<>();
    private long records;
    private long undecodable;
    private long unverified;

    /**
     * @param signatures the job's public keys, or {@code null} to accept every event that decodes
     */
    public KeyChangeHistory(String orgId, KeyChangeSignatures signatures) {
        this.orgId = orgId;
        this.signatures = signatures;
    }

    /** The link of the org after its events are applied, and the events the rules rejected. */
    public record Replay(KeyLink current, List<String> rejections) {}

    /** Adds one record of the key-change topic. */
    public void accept(ConsumerRecord<byte[], byte[]> record) {
        accept(record.value());
    }

    /** Adds the value of one record of the key-change topic; {@code null} is a tombstone. */
    public void accept(byte[] value) {
        records++;
        KeyChangeEvent event;
        try {
            event = KeyChangeEvent.fromBytes(value);
        } catch (InvalidKeyLinkException e) {
            undecodable++;
            return;
        }
        if (!orgId.equals(event.orgId())) {
            return;
        }
        if (signatures != null && !signatures.verifies(event)) {
            unverified++;
            return;
        }
        events.add(event);
    }

    /** Returns the number of records read, of any org. */
    public long records() {
        return records;
    }

    /** Returns the number of records, of any org, that are not key-change events. */
    public long undecodable() {
        return undecodable;
    }

    /** Returns the number of events of the org that no given public key verifies. */
    public long unverified() {
        return unverified;
    }

    /** Returns the number of events of the org that were kept. */
    public int events() {
        return events.size();
    }

    /**
     * Returns the event of the org with the highest version. Among equal versions, it is the first
     * one read.
     */
    public Optional<KeyChangeEvent> latest() {
        KeyChangeEvent latest = null;
        for (KeyChangeEvent event : events) {
            if (latest == null || event.version() > latest.version()) {
                latest = event;
            }
        }
        return Optional.ofNullable(latest);
    }

    /**
     * Applies the org's events to an empty link with the job's rules, in version order and, among
     * equal versions, in the order they were read. On one partition, which contains every event
     * keyed by the org id, this is the order in which the job applies them whenever their versions
     * increase with their offsets, as the commands of this package publish them.
     */
    public Replay replay(KeyLinkRules rules) {
        List<KeyChangeEvent> ordered = new ArrayList<>(events);
        ordered.sort(Comparator.comparingLong(KeyChangeEvent::version));
        KeyLink current = null;
        List<String> rejections = new ArrayList<>();
        for (KeyChangeEvent event : ordered) {
            KeyLinkRules.Decision decision = rules.decide(current, event);
            if (decision instanceof KeyLinkRules.Applied applied) {
                current = applied.link();
            } else if (decision instanceof KeyLinkRules.Rejected rejected) {
                rejections.add("version " + event.version() + ": " + rejected.reason());
            }
        }
        return new Replay(current, List.copyOf(rejections));
    }
}
