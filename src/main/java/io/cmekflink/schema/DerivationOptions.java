package io.cmekflink.schema;

import java.util.List;
import java.util.Objects;

/**
 * What a derived schema is derived with, besides the writer schema.
 *
 * <p>The org id field and the binding fields are stored in the derived schema (properties {@value
 * DerivedSchema#ORG_ID_FIELD_PROP} and {@value DerivedSchema#BINDING_FIELDS_PROP}), so the
 * decrypting side reads them from there and cannot disagree with the sealing side.
 *
 * @param markingRules which fields are marked
 * @param orgIdField the dotted path of the unmarked string field that contains the org id. Sealing
 *     checks that it matches the org the record is sealed for and opening checks it against the
 *     envelope
 * @param bindingFields dotted paths of unmarked fields whose values are bound into the associated
 *     data (a request id, a timestamp), so that the ciphertext cannot be moved to another record of
 *     the same org. Each path goes through record fields only.
 */
public record DerivationOptions(
        MarkingRules markingRules, String orgIdField, List<String> bindingFields) {

    public static final String DEFAULT_ORG_ID_FIELD = "org_id";

    public DerivationOptions {
        Objects.requireNonNull(markingRules, "markingRules");
        Objects.requireNonNull(orgIdField, "orgIdField");
        bindingFields = List.copyOf(bindingFields);
    }

    /** Options with the org id in {@code org_id} and no binding fields. */
    public static DerivationOptions of(MarkingRules markingRules) {
        return new DerivationOptions(markingRules, DEFAULT_ORG_ID_FIELD, List.of());
    }

    public DerivationOptions withOrgIdField(String path) {
        return new DerivationOptions(markingRules, path, bindingFields);
    }

    public DerivationOptions withBindingFields(List<String> paths) {
        return new DerivationOptions(markingRules, orgIdField, paths);
    }
}
