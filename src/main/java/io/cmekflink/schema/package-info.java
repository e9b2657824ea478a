/**
 * Avro schemas of sensitive records: which fields are marked ({@link
 * io.cmekflink.schema.MarkingRules}), the derived schema of their encrypted form ({@link
 * io.cmekflink.schema.DerivedSchema}, {@link io.cmekflink.schema.EnvelopeSchema}), where derived
 * schemas are kept ({@link io.cmekflink.schema.DerivedSchemaFiles}, {@link
 * io.cmekflink.schema.DerivedSchemaRegistry}), the paths and walk order of marked values ({@link
 * io.cmekflink.schema.PathBuilder}, {@link io.cmekflink.schema.MapKeys}) and the encodings:
 * single-object encoding for encrypted records and strict plain Avro binary for input ({@link
 * io.cmekflink.schema.SingleObjectEncoding}, {@link io.cmekflink.schema.StrictRecordDecoder}).
 *
 * <p>Values are generic Avro data without logical-type conversions, so that they round-trip byte
 * for byte. Nothing here depends on Flink, Kafka or KMS.
 */
package io.cmekflink.schema;
