package io.cmekflink.local.bench;

import io.cmekflink.job.OutputRecord;
import io.cmekflink.job.Routed;
import io.cmekflink.job.SourceRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The steps that replace encrypt and decrypt in the pass-through variants: each forwards the value
 * it receives unchanged, so that the rest of the topology does the same work as with encryption.
 * Both count records in the run's {@link StepProbe}.
 */
final class PassThroughSteps {

    private PassThroughSteps() {}

    /** Forwards the Avro binary that the parse step produced, as plaintext output. */
    static final class Encrypt extends ProcessFunction<Routed, OutputRecord> {
        private static final long serialVersionUID = 1L;

        private final String runId;
        private transient StepProbe.Instance probe;

        Encrypt(String runId) {
            this.runId = runId;
        }

        @Override
        public void open(OpenContext openContext) {
            probe =
                    StepProbe.of(runId)
                            .instance(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        }

        @Override
        public void processElement(Routed routed, Context ctx, Collector<OutputRecord> out) {
            if (routed.record == null) {
                return;
            }
            OutputRecord output = new OutputRecord();
            output.key = routed.record.key;
            output.value = routed.record.avro;
            output.headerKeys = routed.record.headerKeys;
            output.headerValues = routed.record.headerValues;
            output.timestamp = routed.record.timestamp;
            output.orgId = routed.orgId;
            probe.complete(-1, true);
            out.collect(output);
        }
    }

    /** Forwards the encrypted value as read, without decrypting it. */
    static final class Decrypt extends ProcessFunction<SourceRecord, OutputRecord> {
        private static final long serialVersionUID = 1L;

        private final String runId;
        private transient StepProbe.Instance probe;

        Decrypt(String runId) {
            this.runId = runId;
        }

        @Override
        public void open(OpenContext openContext) {
            probe =
                    StepProbe.of(runId)
                            .instance(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        }

        @Override
        public void processElement(SourceRecord record, Context ctx, Collector<OutputRecord> out) {
            OutputRecord output = new OutputRecord();
            output.key = record.key;
            output.value = record.value;
            output.format = record.format;
            output.headerKeys = record.headerKeys;
            output.headerValues = record.headerValues;
            output.timestamp = record.timestamp;
            probe.complete(-1, true);
            out.collect(output);
        }
    }
}
