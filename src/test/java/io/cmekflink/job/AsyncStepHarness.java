package io.cmekflink.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

/**
 * Flink's operator test harness around a real async step (encrypt, decrypt or re-wrap), under
 * ordered async I/O without Flink's timeout, as {@link JobParts#orderedStep} runs it.
 */
final class AsyncStepHarness {

    private AsyncStepHarness() {}

    /** Creates and opens a harness whose step keeps at most 10 records in flight. */
    static <I> OneInputStreamOperatorTestHarness<I, OutputRecord> open(
            AsyncFunction<I, OutputRecord> step, Class<I> inputType) throws Exception {
        var harness =
                new OneInputStreamOperatorTestHarness<I, OutputRecord>(
                        new AsyncWaitOperatorFactory<>(
                                step, 0, 10, AsyncDataStream.OutputMode.ORDERED),
                        TypeInformation.of(inputType).createSerializer(new SerializerConfigImpl()));
        harness.open();
        return harness;
    }

    /**
     * Runs the harness's pending mails, which is where the async operator emits completed records,
     * until it has emitted {@code count} records.
     *
     * @throws AssertionError when it has not within {@code timeout}
     */
    static List<OutputRecord> awaitOutputs(
            OneInputStreamOperatorTestHarness<?, OutputRecord> harness,
            int count,
            java.time.Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            var mail = harness.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY);
            if (mail.isPresent()) {
                mail.get().run();
                continue;
            }
            List<OutputRecord> outputs = outputs(harness);
            if (outputs.size() >= count) {
                return outputs;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "the step emitted " + outputs.size() + " of " + count + " records");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /** Returns the records that the harness emitted so far, in order. */
    static List<OutputRecord> outputs(OneInputStreamOperatorTestHarness<?, OutputRecord> harness) {
        List<OutputRecord> outputs = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord<?> sr) {
                outputs.add((OutputRecord) sr.getValue());
            }
        }
        return outputs;
    }
}
