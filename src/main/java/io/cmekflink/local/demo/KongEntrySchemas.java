package io.cmekflink.local.demo;

import java.util.Set;
import org.apache.avro.Schema;

/** The record and enum schemas inside the Kong log entry schema that the generator fills. */
final class KongEntrySchemas {

    final Schema entry;
    final Schema request;
    final Schema tls;
    final Schema response;
    final Schema route;
    final Schema entityRef;
    final Schema service;
    final Schema consumer;
    final Schema authenticatedEntity;
    final Schema latencies;
    final Schema attempt;
    final Schema responseSource;

    KongEntrySchemas(Schema entry) {
        this.entry = entry;
        this.request = named(entry, "request");
        this.tls = named(request, "tls");
        this.response = named(entry, "response");
        this.route = named(entry, "route");
        this.entityRef = named(route, "service");
        this.service = named(entry, "service");
        this.consumer = named(entry, "consumer");
        this.authenticatedEntity = named(entry, "authenticated_entity");
        this.latencies = named(entry, "latencies");
        this.attempt = named(entry, "tries").getElementType();
        this.responseSource = named(entry, "source");
    }

    /** Returns the full names of Kong entity records, whose rows may hold explicit nulls. */
    Set<String> entityRecordNames() {
        return Set.of(route.getFullName(), service.getFullName(), consumer.getFullName());
    }

    /** Returns the schema of a field, without the null branch of a nullable union. */
    private static Schema named(Schema record, String fieldName) {
        Schema.Field field = record.getField(fieldName);
        if (field == null) {
            throw new IllegalArgumentException(
                    "schema "
                            + record.getFullName()
                            + " has no field "
                            + fieldName
                            + "; pass the Kong log entry schema (schemas/kong-log-entry.avsc)");
        }
        Schema schema = field.schema();
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        return schema.getTypes().stream()
                .filter(branch -> branch.getType() != Schema.Type.NULL)
                .findFirst()
                .orElseThrow();
    }
}
