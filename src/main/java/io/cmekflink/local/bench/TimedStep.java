package io.cmekflink.local.bench;

import io.cmekflink.job.EncryptFunction;
import io.cmekflink.job.OutputRecord;
import java.util.Collection;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Wraps the job's own async step (encrypt or decrypt) to record, in the run's {@link StepProbe},
 * when each element enters the step and when its result completes. The wrapper adds two {@link
 * System#nanoTime()} calls per element and changes nothing else.
 */
final class TimedStep<I> extends RichAsyncFunction<I, OutputRecord> {

    private static final long serialVersionUID = 1L;

    private final RichAsyncFunction<I, OutputRecord> step;
    private final String runId;
    private transient StepProbe.Instance probe;
    private transient long invocations;

    TimedStep(RichAsyncFunction<I, OutputRecord> step, String runId) {
        this.step = step;
        this.runId = runId;
    }

    @Override
    public void setRuntimeContext(RuntimeContext context) {
        super.setRuntimeContext(context);
        step.setRuntimeContext(context);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        probe =
                StepProbe.of(runId)
                        .instance(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        step.open(openContext);
    }

    @Override
    public void close() throws Exception {
        if (step instanceof EncryptFunction encrypt) {
            probe.cachedDeks(encrypt.cachedDeks());
        }
        step.close();
    }

    @Override
    public void asyncInvoke(I input, ResultFuture<OutputRecord> result) throws Exception {
        if (input instanceof io.cmekflink.job.Routed routed && routed.record == null) {
            // A control element (a key link changed) carries no record: not a record's latency.
            step.asyncInvoke(input, result);
            return;
        }
        Timed timed = new Timed(result, probe.enter(), Thread.currentThread());
        step.asyncInvoke(input, timed);
        timed.invoked = true;
        if (step instanceof EncryptFunction encrypt && (++invocations & 255) == 0) {
            probe.cachedDeks(encrypt.cachedDeks());
        }
    }

    @Override
    public void timeout(I input, ResultFuture<OutputRecord> result) throws Exception {
        step.timeout(input, result);
    }

    /** Marks the slot complete when the step completes its result. */
    private final class Timed implements ResultFuture<OutputRecord> {
        private final ResultFuture<OutputRecord> result;
        private final int slot;
        private final Thread taskThread;

        /** Set by the task thread when the step's call returned; read only on that thread. */
        private boolean invoked;

        Timed(ResultFuture<OutputRecord> result, int slot, Thread taskThread) {
            this.result = result;
            this.slot = slot;
            this.taskThread = taskThread;
        }

        private void done() {
            probe.complete(slot, Thread.currentThread() == taskThread && !invoked);
        }

        @Override
        public void complete(Collection<OutputRecord> outputs) {
            done();
            result.complete(outputs);
        }

        @Override
        public void complete(CollectionSupplier<OutputRecord> outputs) {
            done();
            result.complete(outputs);
        }

        @Override
        public void completeExceptionally(Throwable error) {
            done();
            result.completeExceptionally(error);
        }
    }
}
