package io.cmekflink.local.bench;

import io.cmekflink.link.KeyLink;
import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The size of one key link in the resolve step's broadcast state, as its state serializers write it
 * into a checkpoint. Every parallel instance keeps and checkpoints its own copy of the broadcast
 * state, so a job's checkpoint contains this size times orgs times parallelism.
 */
final class BroadcastStateSize {

    private BroadcastStateSize() {}

    /** Serialized bytes per link (org id key plus {@link KeyLink} value) of orgs 0..count-1. */
    static double bytesPerLink(int count) throws IOException {
        // The type information of ResolveKeyFunction.LINKS, with serializers of their own, so
        // that the job's shared descriptor stays uninitialised.
        TypeSerializer<String> keys = Types.STRING.createSerializer(new SerializerConfigImpl());
        TypeSerializer<KeyLink> values =
                TypeInformation.of(KeyLink.class).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(4096);
        long total = 0;
        for (int i = 0; i < count; i++) {
            KeyLink link = link(i);
            out.clear();
            keys.serialize(link.orgId, out);
            values.serialize(link, out);
            total += out.length();
        }
        return total / (double) count;
    }

    /** Builds a link as the benchmark publishes it, with a key ARN of the emulator's form. */
    private static KeyLink link(int index) {
        KeyLink link = new KeyLink();
        link.orgId = BenchSetup.orgId(index);
        link.linked = true;
        link.keyName = link.orgId + "-key";
        link.keyArn =
                "arn:aws:kms:"
                        + BenchSetup.REGION
                        + ":"
                        + BenchSetup.account(index)
                        + ":key/"
                        + new java.util.UUID(index, ~index);
        link.region = BenchSetup.REGION;
        link.description = "bench key link";
        link.version = 1;
        link.changedAt = System.currentTimeMillis();
        link.account = BenchSetup.account(index);
        return link;
    }
}
