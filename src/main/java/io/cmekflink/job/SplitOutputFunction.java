package io.cmekflink.job;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Sends encrypted records to the main output and dead letters to {@link DeadLetters#TAG}. */
public final class SplitOutputFunction extends ProcessFunction<OutputRecord, OutputRecord> {

    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(OutputRecord record, Context ctx, Collector<OutputRecord> out) {
        if (record.deadLetter) {
            ctx.output(DeadLetters.TAG, record);
        } else {
            out.collect(record);
        }
    }
}
