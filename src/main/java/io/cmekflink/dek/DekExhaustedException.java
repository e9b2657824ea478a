package io.cmekflink.dek;

/** Thrown when a DEK has sealed as many records as its encryption budget allows. */
public final class DekExhaustedException extends Exception {

    public DekExhaustedException(String keyArn, long maxEncryptions) {
        super(
                "data key of "
                        + keyArn
                        + " reached its budget of "
                        + maxEncryptions
                        + " encryptions");
    }
}
