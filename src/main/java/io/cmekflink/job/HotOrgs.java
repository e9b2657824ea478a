package io.cmekflink.job;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The hot orgs of a job ({@code hot-orgs.ids}) and the salts that spread each one's records over
 * several parallel instances of the resolve and encrypt steps.
 *
 * <p>The resolve step is keyed by a routing key: the org id for salt 0, which every org that is not
 * hot uses, so that keyed state written before salting existed keeps its keys. A hot org's record
 * carries one of the org's salts in {@link ParsedRecord#salt}, picked from its source partition and
 * offset, so that a replay routes a record as before. The salts of an org are chosen so that they
 * land on different parallel instances under Flink's key-group assignment: salt 0, then the
 * smallest salts that reach an instance not reached yet.
 *
 * <p>Each salt of an org meets its own encrypt instance with its own DEK cache, so a hot org uses
 * up to {@link #saltCount(int)} DEKs per DEK lifetime (one {@code GenerateDataKey} each) in place
 * of one. Records of a hot org from one source partition may leave the job in another order than
 * they arrived in, because its salts run on different threads.
 */
public final class HotOrgs implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Character between the org id and the salt in a routing key ({@link #routingKey}). */
    static final char SEPARATOR = '\u0000';

    /**
     * Max salts tried per org. With p instances, of which r are reached, a try reaches a new one
     * with a probability of about (p - r) / p, so the tries do not run out in practice. If they do,
     * the org gets fewer salts.
     */
    private static final int MAX_SALT_TRIES = 1 << 16;

    private final Set<String> ids;
    private final int spread;
    private final int warnPercent;

    /**
     * Creates hot orgs without the warning about other orgs.
     *
     * @param ids the hot org ids
     * @param spread how many parallel instances each hot org's records spread over; 0 means all of
     *     them
     */
    public HotOrgs(Collection<String> ids, int spread) {
        this(ids, spread, 0);
    }

    /**
     * @param warnPercent share of a parse instance's records above which the parse step warns about
     *     an org that is not hot; 0 turns the warning off
     */
    public HotOrgs(Collection<String> ids, int spread, int warnPercent) {
        this.ids = Set.copyOf(ids);
        this.spread = spread;
        this.warnPercent = warnPercent;
    }

    /** Returns no hot orgs: every record has salt 0. */
    public static HotOrgs none() {
        return new HotOrgs(List.of(), 0);
    }

    /**
     * Reads {@code hot-orgs.ids} and {@code hot-orgs.spread}.
     *
     * @throws ConfigException when an id is blank or listed twice
     */
    public static HotOrgs of(JobConfig config) {
        List<String> ids = config.get(JobOptions.HOT_ORGS_IDS);
        Set<String> unique = new LinkedHashSet<>();
        for (String id : ids) {
            if (id.isBlank()) {
                throw invalidIds(config, ids, "an org id is empty or blank; list each hot org id");
            }
            if (!unique.add(id)) {
                throw invalidIds(
                        config, ids, "org id " + id + " is listed twice; list each hot org once");
            }
        }
        return new HotOrgs(
                unique,
                config.get(JobOptions.HOT_ORGS_SPREAD),
                config.get(JobOptions.HOT_ORGS_WARN_PERCENT));
    }

    private static ConfigException invalidIds(JobConfig config, List<String> ids, String rule) {
        return new ConfigException(
                config.source()
                        + ": invalid value "
                        + ids
                        + " for "
                        + JobOptions.HOT_ORGS_IDS.key()
                        + ": "
                        + rule);
    }

    public boolean isHot(String orgId) {
        return ids.contains(orgId);
    }

    /** Returns {@code hot-orgs.warn-percent}: 0 when the warning is off. */
    public int warnPercent() {
        return warnPercent;
    }

    /**
     * Returns the number of salts of a hot org at {@code parallelism}: the spread capped by the
     * parallelism, or the parallelism when the spread is 0.
     */
    public int saltCount(int parallelism) {
        return spread == 0 ? parallelism : Math.min(spread, parallelism);
    }

    /**
     * Returns the salts of every hot org for the resolve step's max parallelism and parallelism,
     * which decide where a routing key is processed.
     */
    public Salts salts(int maxParallelism, int parallelism) {
        Map<String, int[]> byOrg = new HashMap<>();
        int count = saltCount(parallelism);
        if (count > 1) {
            for (String id : ids) {
                byOrg.put(id, choose(id, count, maxParallelism, parallelism));
            }
        }
        return new Salts(byOrg);
    }

    /**
     * Returns {@code count} salts of an org that land on {@code count} different parallel
     * instances: salt 0 first, then in increasing order the smallest salts that reach an instance
     * none of the earlier ones reached. Returns fewer when {@link #MAX_SALT_TRIES} salts do not
     * reach enough instances.
     */
    static int[] choose(String orgId, int count, int maxParallelism, int parallelism) {
        if (count > parallelism) {
            throw new IllegalArgumentException(
                    count + " salts cannot reach different instances of " + parallelism);
        }
        int[] salts = new int[count];
        boolean[] reached = new boolean[parallelism];
        reached[instanceOf(routingKey(orgId, 0), maxParallelism, parallelism)] = true;
        int found = 1;
        for (int salt = 1; salt <= MAX_SALT_TRIES && found < count; salt++) {
            int instance = instanceOf(routingKey(orgId, salt), maxParallelism, parallelism);
            if (!reached[instance]) {
                reached[instance] = true;
                salts[found++] = salt;
            }
        }
        return found == count ? salts : Arrays.copyOf(salts, found);
    }

    /** Returns the parallel instance that processes a routing key, as Flink assigns it. */
    static int instanceOf(String routingKey, int maxParallelism, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(
                routingKey, maxParallelism, parallelism);
    }

    /**
     * Returns the routing key of an org and salt: the org id for salt 0, and otherwise the org id,
     * {@link #SEPARATOR} and the salt in decimal. An org id that itself contains the separator gets
     * the suffix for salt 0 too, so that no two (org, salt) pairs share a key.
     */
    public static String routingKey(String orgId, int salt) {
        if (salt == 0 && orgId.indexOf(SEPARATOR) < 0) {
            return orgId;
        }
        return orgId + SEPARATOR + salt;
    }

    /** Returns the org id of a routing key. */
    public static String orgOf(String routingKey) {
        int separator = routingKey.lastIndexOf(SEPARATOR);
        return separator < 0 ? routingKey : routingKey.substring(0, separator);
    }

    /**
     * Returns the index among {@code count} salts for a source position: the MurmurHash3 64-bit
     * finalizer of partition and offset, modulo {@code count}. Hashing keeps the split even when
     * the org's records sit at regular offsets, such as every second one.
     */
    static int pick(int count, int partition, long offset) {
        long h = offset ^ ((long) partition << 40);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) Math.floorMod(h, (long) count);
    }

    /** The salts of the hot orgs at one parallelism. Immutable, so safe to share. */
    public static final class Salts {

        private final Map<String, int[]> byOrg;

        private Salts(Map<String, int[]> byOrg) {
            this.byOrg = byOrg;
        }

        /** Returns the salts of an org: {0} unless it is hot. */
        public int[] of(String orgId) {
            int[] salts = byOrg.get(orgId);
            return salts == null ? new int[] {0} : salts.clone();
        }

        /** Returns the salt of a record of {@code orgId} at a source position. */
        public int saltOf(String orgId, int partition, long offset) {
            int[] salts = byOrg.get(orgId);
            if (salts == null) {
                return 0;
            }
            return salts[pick(salts.length, partition, offset)];
        }
    }
}
