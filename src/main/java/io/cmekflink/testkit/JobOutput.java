package io.cmekflink.testkit;

import io.cmekflink.deadletter.DeadLetter;
import java.util.List;
import org.apache.avro.generic.GenericRecord;

/**
 * What the encrypt job committed to its two output topics, read from their beginning with {@code
 * read_committed}.
 *
 * @param records the encrypted records, decrypted back to records of the writer schema, in
 *     partition order and, within a partition, in offset order
 * @param encryptedValues the raw values of the same records as the job wrote them, in the same
 *     order, for checks on the bytes that reach storage
 * @param deadLetters the dead letters, in partition and offset order
 */
public record JobOutput(
        List<GenericRecord> records, List<byte[]> encryptedValues, List<DeadLetter> deadLetters) {

    public JobOutput {
        records = List.copyOf(records);
        encryptedValues = List.copyOf(encryptedValues);
        deadLetters = List.copyOf(deadLetters);
    }

    /** Returns the number of records in both topics together. */
    public int size() {
        return records.size() + deadLetters.size();
    }
}
