package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

/**
 * Flink's operator test harness around the real {@link EncryptFunction}, under ordered async I/O
 * without Flink's timeout, as {@link EncryptJob#encryptStep} runs it.
 */
final class EncryptStepHarness {

    private EncryptStepHarness() {}

    /** Creates and opens a harness whose step keeps at most 10 records in flight. */
    static OneInputStreamOperatorTestHarness<Routed, OutputRecord> open(JobConfig config)
            throws Exception {
        var harness =
                new OneInputStreamOperatorTestHarness<Routed, OutputRecord>(
                        new AsyncWaitOperatorFactory<>(
                                new EncryptFunction(config),
                                0,
                                10,
                                AsyncDataStream.OutputMode.ORDERED),
                        TypeInformation.of(Routed.class)
                                .createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    /** Returns the records that the harness emitted so far, in order. */
    static List<OutputRecord> outputs(
            OneInputStreamOperatorTestHarness<Routed, OutputRecord> harness) {
        List<OutputRecord> outputs = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord<?> sr) {
                outputs.add((OutputRecord) sr.getValue());
            }
        }
        return outputs;
    }
}
