package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Builds the step of a topology that turns its input into output records: the encrypt step of the
 * encrypt job, the decrypt step of the decrypt job. The jobs build their own steps ({@link
 * EncryptJob#ENCRYPT_STEP}, {@link DecryptJob#DECRYPT_STEP}); the local benchmark replaces them
 * with a pass-through step to measure what encryption costs, on an otherwise unchanged topology.
 *
 * <p>The returned operator keeps the uid of the step it replaces, so that a savepoint of one
 * variant never restores into the other by accident.
 *
 * @param <I> the input element type of the step
 */
@FunctionalInterface
public interface JobStep<I> {

    SingleOutputStreamOperator<OutputRecord> apply(DataStream<I> input, JobConfig config);
}
