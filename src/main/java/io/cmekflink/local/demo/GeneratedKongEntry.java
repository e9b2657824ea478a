package io.cmekflink.local.demo;

import java.util.Set;
import org.apache.avro.generic.GenericRecord;

/**
 * One generated Kong log entry.
 *
 * @param orgId the org that owns the entry
 * @param json the entry as Kong's log plugins write it, UTF-8; the array is not copied
 * @param record the same entry as a record of the Kong log entry schema
 * @param sensitiveValues distinct strings of at least 6 characters that the entry contains in
 *     fields marked sensitive. Each has a random token, so finding one in encrypted output is a
 *     leak and never a coincidence. A value longer than {@value
 *     KongLogGenerator#MAX_REPORTED_LENGTH} characters (a large body) is reported by the tokens it
 *     embeds instead.
 */
public record GeneratedKongEntry(
        String orgId, byte[] json, GenericRecord record, Set<String> sensitiveValues) {}
