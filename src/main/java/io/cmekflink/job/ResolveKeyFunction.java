package io.cmekflink.job;

import io.cmekflink.config.Durations;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.link.InvalidKeyLinkException;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLink;
import io.cmekflink.link.KeyLinkRules;
import io.cmekflink.logging.RateLimitedLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches each org's current key link to its records.
 *
 * <p>The broadcast side applies key-change events to the broadcast state by version ({@link
 * KeyLinkRules}), so every parallel instance holds the same links, and emits a {@link
 * Routed#CONTROL} element to its forward-chained encrypt step, which drops that org's DEKs.
 *
 * <p>The keyed side routes a record to encryption under its org's key ARN. A record of an org
 * without a link waits in keyed state, at most {@code maxPendingPerOrg} per org, until a link
 * arrives or {@code linkWait} passes (then {@code NO_KEY_LINKED}); a record of an unlinked org
 * becomes {@code KEY_UNLINKED} at once.
 *
 * <p>The key is a routing key ({@link HotOrgs#routingKey}): the org id, or for a hot org the org id
 * and a salt, so one org may have keyed state under several keys and on several instances. Links
 * are read by the org of the record or key, and a new link or unlink flushes the records of every
 * key of the org, on every instance, since each instance applies every key-change event. The wait
 * bound of a hot org with k salts is max(1, {@code maxPendingPerOrg} / k) per salt.
 *
 * <p>On a fresh start the broadcast side first replays the compacted key-change topic, and data
 * records race that replay. So until the replay has reached the offsets that the topic's partitions
 * ended at when the job was built ({@code catchUpTargets}), every record waits, even one whose org
 * already has a link (a later event may still change it), and the link wait starts only when the
 * replay has caught up. If the replay does not catch up within {@code catchUpTimeout}, each
 * instance stops waiting for it and logs a warning.
 */
public final class ResolveKeyFunction
        extends KeyedBroadcastProcessFunction<String, ParsedRecord, KeyChangeRecord, Routed>
        implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ResolveKeyFunction.class);

    /** The latest key link per org. */
    public static final MapStateDescriptor<String, KeyLink> LINKS =
            new MapStateDescriptor<>("key-links", Types.STRING, TypeInformation.of(KeyLink.class));

    /**
     * Progress of the key-change replay: partition to the highest offset seen, and under {@link
     * #CAUGHT_UP} the time the replay caught up.
     */
    public static final MapStateDescriptor<Integer, Long> REPLAY =
            new MapStateDescriptor<>("key-change-replay", Types.INT, Types.LONG);

    private static final int CAUGHT_UP = -1;

    private static final ListStateDescriptor<ParsedRecord> PENDING =
            new ListStateDescriptor<>("pending-records", TypeInformation.of(ParsedRecord.class));
    private static final ValueStateDescriptor<Long> FIRST_PENDING_AT =
            new ValueStateDescriptor<>("first-pending-at", Types.LONG);
    private static final ValueStateDescriptor<Integer> PENDING_COUNT =
            new ValueStateDescriptor<>("pending-count", Types.INT);

    /**
     * Operator state: this instance's number of waiting records at the checkpoint, so that the
     * {@code recordsPendingLink} gauge survives a restore. After a rescale, the restored counts are
     * spread over the new instances by Flink's round-robin split, so each instance's value may be
     * off until it recounts, but their sum stays exact.
     */
    private static final ListStateDescriptor<Long> PENDING_TOTAL =
            new ListStateDescriptor<>("pending-records-total", Types.LONG);

    private final KeyLinkRules rules;
    private final Map<Integer, Long> catchUpTargets;
    private final long linkWaitMillis;
    private final int maxPendingPerOrg;
    private final long catchUpTimeoutMillis;
    private final boolean sealDeadLetters;
    private final KeyChangeSignatures signatures;
    private final String platformKeyArn;
    private String stateKeyArn;
    private io.cmekflink.kms.KmsSettings stateKmsSettings;
    private List<String> stateGeoRegions;
    private HotOrgs hotOrgs = HotOrgs.none();
    private transient int maxPendingPerHotSalt;
    private transient StateKeys stateKeys;
    private transient io.cmekflink.crypto.StateSealer sealer;

    private transient ListState<ParsedRecord> pending;
    private transient ValueState<Long> firstPendingAt;
    private transient ValueState<Integer> pendingCount;
    private transient long catchUpDeadline;
    private transient boolean catchUpTimedOut;
    private transient RateLimitedLog deadLetterLog;
    private transient Counter linksApplied;
    private transient Counter linksRejected;
    private transient Counter linksStale;
    private transient Counter recordsWaited;
    private transient volatile long linkDigest;
    private transient volatile int linksHeld;
    private transient boolean digestKnown;
    private transient RateLimitedLog replayLog;
    private transient DeadLetterCounters deadLetters;
    private transient ListState<Long> pendingTotalState;
    private transient volatile long pendingRecords;
    private transient boolean pendingRecounted;

    /**
     * @param catchUpTargets per partition of the key-change topic, the offset of its last record
     *     when the job was built; partitions without records are left out
     * @param sealDeadLetters whether {@code NO_KEY_LINKED} dead letters go to the encrypt step,
     *     which seals their input under the platform dead-letter key
     * @param signatures the control plane's public keys; an event that none of them verifies is
     *     rejected
     * @param platformKeyArn the platform key that encrypts the records of orgs without a key link
     *     (never linked, or unlinked) once the replay has caught up; {@code null} or empty makes
     *     them dead letters instead
     */
    public ResolveKeyFunction(
            KeyLinkRules rules,
            Map<Integer, Long> catchUpTargets,
            Duration linkWait,
            int maxPendingPerOrg,
            Duration catchUpTimeout,
            boolean sealDeadLetters,
            KeyChangeSignatures signatures,
            String platformKeyArn) {
        this.platformKeyArn =
                platformKeyArn == null || platformKeyArn.isEmpty() ? null : platformKeyArn;
        this.rules = rules;
        this.signatures = signatures;
        this.sealDeadLetters = sealDeadLetters;
        this.catchUpTargets = Map.copyOf(catchUpTargets);
        this.linkWaitMillis = linkWait.toMillis();
        this.maxPendingPerOrg = maxPendingPerOrg;
        this.catchUpTimeoutMillis = catchUpTimeout.toMillis();
    }

    /**
     * Seals the values of records under a DEK of the platform state key before they can wait in
     * state, so that checkpoints hold no plaintext of them; the encrypt step opens them.
     */
    public ResolveKeyFunction withStateSealing(
            String stateKeyArn, io.cmekflink.kms.KmsSettings settings, List<String> geoRegions) {
        this.stateKeyArn = stateKeyArn;
        this.stateKmsSettings = settings;
        this.stateGeoRegions = List.copyOf(geoRegions);
        return this;
    }

    /** Sets the hot orgs, whose wait bound is split over their salts. */
    public ResolveKeyFunction withHotOrgs(HotOrgs hotOrgs) {
        this.hotOrgs = hotOrgs;
        return this;
    }

    @Override
    public void close() {
        if (stateKeys != null) {
            stateKeys.close();
        }
    }

    @Override
    public void open(OpenContext openContext) {
        if (stateKeyArn != null && !stateKeyArn.isEmpty()) {
            stateKeys = new StateKeys(stateKeyArn, stateKmsSettings, stateGeoRegions);
            sealer = new io.cmekflink.crypto.StateSealer(stateKeys);
        }
        pending = getRuntimeContext().getListState(PENDING);
        int salts =
                hotOrgs.saltCount(getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks());
        maxPendingPerHotSalt = Math.max(1, maxPendingPerOrg / salts);
        firstPendingAt = getRuntimeContext().getState(FIRST_PENDING_AT);
        pendingCount = getRuntimeContext().getState(PENDING_COUNT);
        catchUpDeadline = System.currentTimeMillis() + catchUpTimeoutMillis;
        deadLetterLog = new RateLimitedLog(LOG, 10_000);
        replayLog = new RateLimitedLog(LOG, 10_000);
        var metrics = getRuntimeContext().getMetricGroup();
        linksApplied = metrics.counter("linksApplied");
        linksRejected = metrics.counter("linksRejected");
        linksStale = metrics.counter("linksStale");
        recordsWaited = metrics.counter("recordsWaitedForLink");
        metrics.gauge("linksHeld", () -> linksHeld);
        metrics.gauge("linkStateDigest", () -> linkDigest);
        metrics.gauge("recordsPendingLink", () -> pendingRecords);
        deadLetters = new DeadLetterCounters(metrics);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        pendingTotalState = context.getOperatorStateStore().getListState(PENDING_TOTAL);
        long total = 0;
        for (Long count : pendingTotalState.get()) {
            total += count;
        }
        pendingRecords = total;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        pendingTotalState.update(List.of(pendingRecords));
    }

    /**
     * Sets {@code recordsPendingLink} to the records that wait in this instance's keyed state, once
     * per start: only the broadcast side can iterate keyed state.
     */
    private void recountPending(Context ctx) throws Exception {
        long[] total = {0};
        ctx.applyToKeyedState(
                PENDING_COUNT,
                (key, state) -> {
                    Integer count = state.value();
                    total[0] += count == null ? 0 : count;
                });
        pendingRecords = total[0];
        pendingRecounted = true;
    }

    @Override
    public void processElement(ParsedRecord record, ReadOnlyContext ctx, Collector<Routed> out)
            throws Exception {
        if (!digestKnown) {
            recomputeDigest(ctx.getBroadcastState(LINKS).immutableEntries());
        }
        if (record.alreadyEncrypted) {
            out.collect(Routed.passThrough(record));
            return;
        }
        if (sealer != null && !record.sealed) {
            record.avro = sealer.seal(record.avro);
            if (record.original != null) {
                record.original = sealer.seal(record.original);
            }
            record.sealed = true;
        }
        ReadOnlyBroadcastState<Integer, Long> replay = ctx.getBroadcastState(REPLAY);
        KeyLink link = ctx.getBroadcastState(LINKS).get(record.orgId);
        if (link == null && platformKeyArn != null && isCaughtUp(replay)) {
            link = platformLink(record.orgId);
        }
        boolean waitingOff = maxPendingPerOrg == 0;
        if (link != null && (waitingOff || isCaughtUp(replay))) {
            flushPending(link, out, deadLetterSink(ctx));
            route(record, link, out, deadLetterSink(ctx));
            return;
        }
        if (waitingOff) {
            noLink(record, "waiting for a key link is turned off", false, out, deadLetterSink(ctx));
            return;
        }
        int waiting = pendingCount.value() == null ? 0 : pendingCount.value();
        if (waiting >= maxPendingOf(record)) {
            overflow(record, link, waiting, replay, out, deadLetterSink(ctx));
            return;
        }
        record.arrivedAt = ctx.timerService().currentProcessingTime();
        pending.add(record);
        pendingCount.update(waiting + 1);
        pendingRecords++;
        recordsWaited.inc();
        if (firstPendingAt.value() == null) {
            firstPendingAt.update(record.arrivedAt);
            ctx.timerService().registerProcessingTimeTimer(record.arrivedAt + linkWaitMillis);
        }
    }

    /** Returns the wait bound of the record's routing key. */
    private int maxPendingOf(ParsedRecord record) {
        return record.salt != 0 || hotOrgs.isHot(record.orgId)
                ? maxPendingPerHotSalt
                : maxPendingPerOrg;
    }

    /**
     * Handles a record whose org already has the maximum of records waiting. Before the replay has
     * caught up, an org with a link routes its waiting records and this one under that link: the
     * link may still change later in the replay, but holding more records would exceed the bound on
     * plaintext in state. An org without a link gets a dead letter, which is retriable while the
     * replay has not caught up, since its link may still arrive.
     */
    private void overflow(
            ParsedRecord record,
            KeyLink link,
            int waiting,
            ReadOnlyBroadcastState<Integer, Long> replay,
            Collector<Routed> out,
            Consumer<OutputRecord> deadLetters)
            throws Exception {
        if (link != null) {
            replayLog.warn(
                    "overflow",
                    "org {} has {} records waiting while the key-change replay catches up, the"
                            + " maximum; routing them under its current link version {}",
                    record.orgId,
                    waiting,
                    link.version);
            flushPending(link, out, deadLetters);
            route(record, link, out, deadLetters);
            return;
        }
        boolean caughtUp = isCaughtUp(replay);
        noLink(
                record,
                "the org already has "
                        + waiting
                        + " records waiting for a key link, the maximum"
                        + (caughtUp ? "" : ", while the key-change replay had not caught up"),
                !caughtUp,
                out,
                deadLetters);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Routed> out)
            throws Exception {
        Long first = firstPendingAt.value();
        if (first == null) {
            return;
        }
        ReadOnlyBroadcastState<Integer, Long> replay = ctx.getBroadcastState(REPLAY);
        String org = HotOrgs.orgOf(ctx.getCurrentKey());
        KeyLink link = ctx.getBroadcastState(LINKS).get(org);
        if (link == null && platformKeyArn != null) {
            link = platformLink(org);
        }
        if (!isCaughtUp(replay)) {
            ctx.timerService().registerProcessingTimeTimer(timestamp + linkWaitMillis);
            return;
        }
        if (link != null) {
            flushPending(link, out, deadLetterSink(ctx));
            return;
        }
        Long caughtUpAt = replay.get(CAUGHT_UP);
        long waitStart = Math.max(first, caughtUpAt == null ? first : caughtUpAt);
        if (timestamp < waitStart + linkWaitMillis) {
            ctx.timerService().registerProcessingTimeTimer(waitStart + linkWaitMillis);
            return;
        }
        for (ParsedRecord record : pending.get()) {
            pendingRecords--;
            noLink(
                    record,
                    "no key link arrived within "
                            + Durations.format(Duration.ofMillis(linkWaitMillis)),
                    false,
                    out,
                    deadLetterSink(ctx));
        }
        pending.clear();
        pendingCount.clear();
        firstPendingAt.clear();
    }

    @Override
    public void processBroadcastElement(KeyChangeRecord change, Context ctx, Collector<Routed> out)
            throws Exception {
        if (!digestKnown) {
            recomputeDigest(ctx.getBroadcastState(LINKS).immutableEntries());
        }
        if (!pendingRecounted) {
            recountPending(ctx);
        }
        BroadcastState<Integer, Long> replay = ctx.getBroadcastState(REPLAY);
        Long seen = replay.get(change.partition);
        if (seen == null || change.offset > seen) {
            replay.put(change.partition, change.offset);
        }
        try {
            applyChange(change, ctx, out);
        } catch (RuntimeException e) {
            // A key-change record must never fail the job: a restart would replay it forever.
            linksRejected.inc();
            LOG.warn(
                    "rejected key-change record at partition {} offset {}: {}",
                    change.partition,
                    change.offset,
                    e.getClass().getName());
        }
        if (!replay.contains(CAUGHT_UP) && isCaughtUp(replay)) {
            // Recorded in state, so that a restore does not wait for the replay again.
            replay.put(CAUGHT_UP, ctx.currentProcessingTime());
            LOG.info("key-change replay caught up at offsets {}", catchUpTargets);
            flushAllPending(ctx, out);
        }
    }

    private void applyChange(KeyChangeRecord change, Context ctx, Collector<Routed> out)
            throws Exception {
        KeyChangeEvent event;
        try {
            event = KeyChangeEvent.fromBytes(change.value);
        } catch (InvalidKeyLinkException e) {
            linksRejected.inc();
            LOG.warn(
                    "rejected key-change record at partition {} offset {}: {}",
                    change.partition,
                    change.offset,
                    e.getMessage());
            return;
        }
        if (!signatures.verifies(event)) {
            linksRejected.inc();
            LOG.warn(
                    "rejected key-change event of org {} version {}: {}",
                    event.orgId(),
                    event.version(),
                    event.signature() == null
                            ? "it is not signed"
                            : "no configured public key verifies its signature");
            return;
        }
        BroadcastState<String, KeyLink> links = ctx.getBroadcastState(LINKS);
        KeyLink current = event.orgId() == null ? null : links.get(event.orgId());
        KeyLinkRules.Decision decision = rules.decide(current, event);
        if (decision instanceof KeyLinkRules.Applied applied) {
            links.put(event.orgId(), applied.link());
            linkDigest ^= (current == null ? 0 : digestOf(current)) ^ digestOf(applied.link());
            linksHeld += current == null ? 1 : 0;
            linksApplied.inc();
            LOG.info(
                    "key link of org {} {}: key ARN {}, version {}",
                    event.orgId(),
                    applied.link().linked ? "set" : "removed",
                    applied.link().keyArn,
                    applied.link().version);
            out.collect(Routed.control(event.orgId()));
            if (isCaughtUp(ctx.getBroadcastState(REPLAY))) {
                String org = event.orgId();
                KeyLink link = applied.link();
                ctx.applyToKeyedState(
                        PENDING,
                        (key, state) -> {
                            if (HotOrgs.orgOf(key).equals(org)) {
                                flush(state, link, out, deadLetterSink(ctx));
                            }
                        });
                clearWaitState(ctx, java.util.Set.of(org));
            }
        } else if (decision instanceof KeyLinkRules.Stale stale) {
            linksStale.inc();
            LOG.debug(
                    "ignored key-change event of org {} version {}: current version is {}",
                    event.orgId(),
                    event.version(),
                    stale.currentVersion());
        } else if (decision instanceof KeyLinkRules.Rejected rejected) {
            linksRejected.inc();
            LOG.warn(
                    "rejected key-change event of org {} version {}: {}",
                    event.orgId(),
                    event.version(),
                    rejected.reason());
        }
    }

    private void flushAllPending(Context ctx, Collector<Routed> out) throws Exception {
        ReadOnlyBroadcastState<String, KeyLink> links = ctx.getBroadcastState(LINKS);
        java.util.Set<String> flushed = new java.util.HashSet<>();
        ctx.applyToKeyedState(
                PENDING,
                (key, state) -> {
                    String org = HotOrgs.orgOf(key);
                    KeyLink link = links.get(org);
                    if (link == null && platformKeyArn != null) {
                        link = platformLink(org);
                    }
                    if (link != null) {
                        flush(state, link, out, deadLetterSink(ctx));
                        flushed.add(org);
                    }
                });
        clearWaitState(ctx, flushed);
    }

    /** Clears the wait count and start of every key of the orgs whose records were flushed. */
    private static void clearWaitState(Context ctx, java.util.Set<String> orgs) throws Exception {
        if (orgs.isEmpty()) {
            return;
        }
        ctx.applyToKeyedState(
                PENDING_COUNT,
                (key, state) -> {
                    if (orgs.contains(HotOrgs.orgOf(key))) {
                        state.clear();
                    }
                });
        ctx.applyToKeyedState(
                FIRST_PENDING_AT,
                (key, state) -> {
                    if (orgs.contains(HotOrgs.orgOf(key))) {
                        state.clear();
                    }
                });
    }

    /** Routes an org's waiting records under its link and empties its wait list. */
    private void flush(
            ListState<ParsedRecord> state,
            KeyLink link,
            Collector<Routed> out,
            Consumer<OutputRecord> deadLetters)
            throws Exception {
        List<ParsedRecord> records = new ArrayList<>();
        state.get().forEach(records::add);
        state.clear();
        pendingRecords -= records.size();
        for (ParsedRecord record : records) {
            route(record, link, out, deadLetters);
        }
    }

    private void flushPending(
            KeyLink link, Collector<Routed> out, Consumer<OutputRecord> deadLetters)
            throws Exception {
        if (firstPendingAt.value() == null) {
            return;
        }
        List<ParsedRecord> records = new ArrayList<>();
        pending.get().forEach(records::add);
        pending.clear();
        pendingCount.clear();
        firstPendingAt.clear();
        pendingRecords -= records.size();
        for (ParsedRecord record : records) {
            route(record, link, out, deadLetters);
        }
    }

    private void route(
            ParsedRecord record,
            KeyLink link,
            Collector<Routed> out,
            Consumer<OutputRecord> deadLetters) {
        if (link.linked) {
            out.collect(Routed.record(record, link.keyArn));
            return;
        }
        if (platformKeyArn != null) {
            out.collect(Routed.record(record, platformKeyArn));
            return;
        }
        DeadLetter letter =
                DeadLetters.of(Stage.RESOLVE, ErrorCode.KEY_UNLINKED, record)
                        .message(
                                "org "
                                        + record.orgId
                                        + " unlinked its key at version "
                                        + link.version)
                        .build();
        emitDeadLetter(letter, record, deadLetters);
    }

    /** The link under which the platform key encrypts an org that has none of its own. */
    private KeyLink platformLink(String orgId) {
        KeyLink link = new KeyLink();
        link.orgId = orgId;
        link.linked = true;
        link.keyArn = platformKeyArn;
        return link;
    }

    private void noLink(
            ParsedRecord record,
            String reason,
            boolean retriable,
            Collector<Routed> out,
            Consumer<OutputRecord> deadLetters) {
        String message = "org " + record.orgId + " has no key link: " + reason;
        if (sealDeadLetters) {
            out.collect(
                    Routed.sealDeadLetter(
                            record, Stage.RESOLVE.name(), ErrorCode.NO_KEY_LINKED.name(), message));
            return;
        }
        DeadLetter letter =
                DeadLetters.of(Stage.RESOLVE, ErrorCode.NO_KEY_LINKED, record)
                        .message(message)
                        .retriable(retriable)
                        .build();
        emitDeadLetter(letter, record, deadLetters);
    }

    private void emitDeadLetter(
            DeadLetter letter, ParsedRecord record, Consumer<OutputRecord> sink) {
        deadLetters.inc(letter.errorCode());
        deadLetterLog.warn(
                letter.errorCode().name(),
                "dead letter {} for org {} at {}-{}@{}: {}",
                letter.errorCode(),
                record.orgId,
                record.topic,
                record.partition,
                record.offset,
                letter.message());
        sink.accept(DeadLetters.output(letter, record));
    }

    /**
     * Recomputes the digest of the links held, once per instance after a start or restore: the
     * broadcast state cannot be read in {@code open()}.
     */
    private void recomputeDigest(Iterable<Map.Entry<String, KeyLink>> entries) {
        long digest = 0;
        int count = 0;
        for (Map.Entry<String, KeyLink> entry : entries) {
            digest ^= digestOf(entry.getValue());
            count++;
        }
        linkDigest = digest;
        linksHeld = count;
        digestKnown = true;
    }

    /**
     * A 64-bit FNV-1a hash of a link's org, version, state and key ARN. The XOR of these over all
     * links is the {@code linkStateDigest} metric: every parallel instance holds the same links
     * exactly when all of them report the same digest.
     */
    static long digestOf(KeyLink link) {
        String text =
                link.orgId
                        + "\u0000"
                        + link.version
                        + "\u0000"
                        + link.linked
                        + "\u0000"
                        + link.keyArn;
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    private static Consumer<OutputRecord> deadLetterSink(ReadOnlyContext ctx) {
        return record -> ctx.output(DeadLetters.TAG, record);
    }

    private static Consumer<OutputRecord> deadLetterSink(OnTimerContext ctx) {
        return record -> ctx.output(DeadLetters.TAG, record);
    }

    private static Consumer<OutputRecord> deadLetterSink(Context ctx) {
        return record -> ctx.output(DeadLetters.TAG, record);
    }

    private boolean isCaughtUp(ReadOnlyBroadcastState<Integer, Long> replay) throws Exception {
        if (replay.contains(CAUGHT_UP)
                || catchUpTargets.isEmpty()
                || replayReachedTargets(replay)) {
            return true;
        }
        if (System.currentTimeMillis() >= catchUpDeadline) {
            if (!catchUpTimedOut) {
                catchUpTimedOut = true;
                LOG.warn(
                        "key-change replay did not reach offsets {} within {}; records without a"
                                + " link start their wait now",
                        catchUpTargets,
                        Durations.format(Duration.ofMillis(catchUpTimeoutMillis)));
            }
            return true;
        }
        return false;
    }

    private boolean replayReachedTargets(ReadOnlyBroadcastState<Integer, Long> replay)
            throws Exception {
        for (Map.Entry<Integer, Long> target : catchUpTargets.entrySet()) {
            Long seen = replay.get(target.getKey());
            if (seen == null || seen < target.getValue()) {
                return false;
            }
        }
        return true;
    }
}
