package io.cmekflink.local.demo;

import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Seeded randomness for sample data. {@link SplittableRandom}'s algorithm is fixed by its
 * specification, so a seed gives the same sequence on every JVM. Not thread-safe.
 */
final class DemoRandom {

    private static final char[] BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final SplittableRandom random;

    DemoRandom(long seed) {
        this.random = new SplittableRandom(seed);
    }

    int nextInt(int bound) {
        return random.nextInt(bound);
    }

    int between(int min, int maxInclusive) {
        return min + random.nextInt(maxInclusive - min + 1);
    }

    long nextLong(long bound) {
        return random.nextLong(bound);
    }

    /** Returns true with the given probability. */
    boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    <T> T pick(List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    /**
     * Returns a token of lower-case letters and digits. Ten characters carry about 52 bits, so a
     * token found in other data is never a coincidence.
     */
    String token(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = BASE36[random.nextInt(BASE36.length)];
        }
        return new String(chars);
    }

    String hex(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = HEX[random.nextInt(HEX.length)];
        }
        return new String(chars);
    }

    /** Returns a random (version 4) UUID drawn from this sequence. */
    String uuid() {
        long high = (random.nextLong() & ~0xf000L) | 0x4000L;
        long low = (random.nextLong() & ~(3L << 62)) | (2L << 62);
        return new UUID(high, low).toString();
    }

    /** Returns a private IPv4 address with random host octets, such as 10.23.4.117. */
    String privateIpv4() {
        return switch (random.nextInt(3)) {
            case 0 -> "10." + between(1, 254) + "." + between(0, 255) + "." + between(1, 254);
            case 1 -> "172." + between(16, 31) + "." + between(0, 255) + "." + between(1, 254);
            default -> "192.168." + between(0, 255) + "." + between(1, 254);
        };
    }

    /** Returns an address of the IPv6 documentation prefix 2001:db8::/32. */
    String documentationIpv6() {
        return "2001:db8:" + hex(4) + ":" + hex(4) + "::" + hex(4);
    }
}
