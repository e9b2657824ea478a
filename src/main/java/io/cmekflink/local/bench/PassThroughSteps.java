package io.cmekflink.local.bench;

import io.cmekflink.job.OutputRecord;
import io.cmekflink.job.Routed;
import io.cmekflink.job.SourceRecord;
import io.cmekflink.schema.SingleObjectEncoding;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The steps that replace encrypt and decrypt in the pass-through variants: each forwards the value
 * it receives unchanged, or the encrypt job's output for it, so that the rest of the topology does
 * the same work as with encryption. All count records in the run's {@link StepProbe}.
 */
final class PassThroughSteps {

    private PassThroughSteps() {}

    /** A step that counts every record it emits in the run's probe. */
    private abstract static class Counted<I> extends ProcessFunction<I, OutputRecord> {
        private static final long serialVersionUID = 1L;

        private final String runId;
        private transient StepProbe.Instance probe;

        Counted(String runId) {
            this.runId = runId;
        }

        @Override
        public void open(OpenContext openContext) {
            probe =
                    StepProbe.of(runId)
                            .instance(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        }

        final void emit(OutputRecord output, Collector<OutputRecord> out) {
            probe.complete(-1, true);
            out.collect(output);
        }
    }

    /** Forwards the Avro binary that the parse step produced, as plaintext output. */
    static final class Encrypt extends Counted<Routed> {
        private static final long serialVersionUID = 1L;

        Encrypt(String runId) {
            super(runId);
        }

        @Override
        public void processElement(Routed routed, Context ctx, Collector<OutputRecord> out) {
            if (routed.record == null) {
                return;
            }
            OutputRecord output = outputOf(routed);
            output.value = routed.record.avro;
            emit(output, out);
        }
    }

    /**
     * Writes, for each parsed record, the value that the encrypt job wrote for the same source
     * record, with the same key, headers and format header: the encrypt job's output bytes, without
     * AES, KMS or the DEK cache.
     */
    static final class EncryptedBytes extends Counted<Routed> {
        private static final long serialVersionUID = 1L;

        private final String tableId;
        private transient EncryptedValues table;

        EncryptedBytes(String runId, String tableId) {
            super(runId);
            this.tableId = tableId;
        }

        @Override
        public void open(OpenContext openContext) {
            super.open(openContext);
            table = EncryptedValues.of(tableId);
        }

        @Override
        public void processElement(Routed routed, Context ctx, Collector<OutputRecord> out) {
            if (routed.record == null) {
                return;
            }
            OutputRecord output = outputOf(routed);
            output.value =
                    table.valueOf(
                            routed.record.topic, routed.record.partition, routed.record.offset);
            output.format = SingleObjectEncoding.FORMAT;
            emit(output, out);
        }
    }

    /** Forwards the encrypted value as read, without decrypting it. */
    static final class Decrypt extends Counted<SourceRecord> {
        private static final long serialVersionUID = 1L;

        Decrypt(String runId) {
            super(runId);
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
            emit(output, out);
        }
    }

    /** Creates an output record with the key, headers, timestamp and org of a parsed record. */
    private static OutputRecord outputOf(Routed routed) {
        OutputRecord output = new OutputRecord();
        output.key = routed.record.key;
        output.headerKeys = routed.record.headerKeys;
        output.headerValues = routed.record.headerValues;
        output.timestamp = routed.record.timestamp;
        output.orgId = routed.orgId;
        return output;
    }
}
