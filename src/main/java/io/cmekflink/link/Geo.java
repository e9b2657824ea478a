package io.cmekflink.link;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A platform region. Each geo spans two AWS regions, and an org's key must live in one of its geo's
 * regions; a multi-region key replicated to both is recommended for disaster recovery.
 */
public enum Geo {
    AU("ap-southeast-2", "ap-southeast-4"),
    EU("eu-central-1", "eu-west-1"),
    ME("me-central-1", "me-south-1"),
    US("us-west-2", "us-east-2"),
    IN("ap-south-1", "ap-south-2");

    private final List<String> regions;

    Geo(String... regions) {
        this.regions = List.of(regions);
    }

    /** The AWS regions of this geo, primary first. */
    public List<String> regions() {
        return regions;
    }

    public boolean contains(String region) {
        return regions.contains(region);
    }

    /**
     * Parses a geo name, case-insensitively.
     *
     * @throws IllegalArgumentException naming the value and the valid geos
     */
    public static Geo parse(String name) {
        if (name != null) {
            for (Geo geo : values()) {
                if (geo.name().equals(name.trim().toUpperCase(Locale.ROOT))) {
                    return geo;
                }
            }
        }
        throw new IllegalArgumentException(
                "invalid geo '"
                        + name
                        + "': expected one of "
                        + Arrays.stream(values())
                                .map(Enum::name)
                                .collect(Collectors.joining(", ")));
    }
}
