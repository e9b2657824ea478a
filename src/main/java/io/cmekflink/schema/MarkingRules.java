package io.cmekflink.schema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.Schema;

/**
 * Decides which fields are marked: encrypted as one value each.
 *
 * <p>A field is marked when the field (not its type) carries {@code "sensitive": true}, or a {@code
 * "confluent:tags"} list that contains one of the configured tags. Anything else that looks like a
 * mark is rejected with {@link IllegalArgumentException} rather than ignored, because ignoring it
 * would write the field in plaintext:
 *
 * <ul>
 *   <li>{@code "sensitive"} with a value other than a JSON boolean, such as {@code "true"};
 *   <li>{@code "confluent:tags"} that is not a list of strings;
 *   <li>{@code "sensitive"} or a configured tag on a type schema, such as {@code {"type": "string",
 *       "sensitive": true}} (a check made by {@link #checkTypeNotMarked}).
 * </ul>
 *
 * <p>Thread safety: immutable.
 */
public final class MarkingRules {

    public static final String SENSITIVE_PROP = "sensitive";
    public static final String CONFLUENT_TAGS_PROP = "confluent:tags";

    private final Set<String> confluentTags;

    private MarkingRules(Set<String> confluentTags) {
        this.confluentTags = confluentTags;
    }

    /** Rules that honour {@code "sensitive": true} only. */
    public static MarkingRules sensitiveOnly() {
        return new MarkingRules(Set.of());
    }

    /** Rules that honour {@code "sensitive": true} and these Confluent tags, matched exactly. */
    public static MarkingRules withConfluentTags(Collection<String> tags) {
        Set<String> copy = new TreeSet<>();
        for (String tag : tags) {
            if (tag == null || tag.isBlank()) {
                throw new IllegalArgumentException(
                        "Confluent tag must not be blank, got "
                                + (tag == null ? "null" : "'" + tag + "'"));
            }
            copy.add(tag);
        }
        return new MarkingRules(Collections.unmodifiableSet(copy));
    }

    public Set<String> confluentTags() {
        return confluentTags;
    }

    /**
     * Returns whether {@code field} is marked.
     *
     * @throws IllegalArgumentException when a mark property has an invalid value
     */
    public boolean isMarked(Schema.Field field) {
        Object sensitive = field.getObjectProp(SENSITIVE_PROP);
        if (sensitive != null && !(sensitive instanceof Boolean)) {
            throw new IllegalArgumentException(
                    "field '"
                            + field.name()
                            + "' has \""
                            + SENSITIVE_PROP
                            + "\" of type "
                            + sensitive.getClass().getSimpleName()
                            + "; use the JSON boolean true or false");
        }
        return Boolean.TRUE.equals(sensitive) || hasConfiguredTag(field);
    }

    /**
     * Rejects a type schema that carries {@code "sensitive"} or a configured tag, since marks are
     * read from fields only.
     *
     * @param where the field path or type name to name in the message
     */
    public void checkTypeNotMarked(Schema type, String where) {
        if (type.getType() == Schema.Type.UNION) {
            return;
        }
        boolean sensitive = type.getObjectProp(SENSITIVE_PROP) != null;
        boolean tagged =
                !confluentTags.isEmpty()
                        && intersectsConfiguredTags(type.getObjectProp(CONFLUENT_TAGS_PROP), where);
        if (sensitive || tagged) {
            throw new IllegalArgumentException(
                    "the "
                            + type.getType().getName()
                            + " type of "
                            + where
                            + " carries "
                            + (sensitive
                                    ? "\"" + SENSITIVE_PROP + "\""
                                    : "a configured Confluent tag")
                            + ", but marks are read from fields only; move it to the field that"
                            + " uses the type");
        }
    }

    /**
     * Lists the marked fields reachable from {@code schema}, in the order a depth-first walk of the
     * schema first meets them. Each record type appears once, however often it is used, and the
     * walk does not enter marked fields, whose values are encrypted as one value.
     */
    public List<MarkedField> findMarkedFields(Schema schema) {
        List<MarkedField> found = new ArrayList<>();
        collectMarkedFields(schema, new HashSet<>(), found);
        return found;
    }

    private void collectMarkedFields(Schema schema, Set<String> seen, List<MarkedField> found) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                for (Schema.Field field : schema.getFields()) {
                    if (isMarked(field)) {
                        found.add(
                                new MarkedField(
                                        schema.getFullName(), field.name(), field.schema()));
                    } else {
                        collectMarkedFields(field.schema(), seen, found);
                    }
                }
            }
            case ARRAY -> collectMarkedFields(schema.getElementType(), seen, found);
            case MAP -> collectMarkedFields(schema.getValueType(), seen, found);
            case UNION -> {
                for (Schema branch : schema.getTypes()) {
                    collectMarkedFields(branch, seen, found);
                }
            }
            default -> {}
        }
    }

    private boolean hasConfiguredTag(Schema.Field field) {
        if (confluentTags.isEmpty()) {
            return false;
        }
        return intersectsConfiguredTags(
                field.getObjectProp(CONFLUENT_TAGS_PROP), "field '" + field.name() + "'");
    }

    private boolean intersectsConfiguredTags(Object tags, String where) {
        if (tags == null) {
            return false;
        }
        if (!(tags instanceof List<?> list)) {
            throw new IllegalArgumentException(
                    where
                            + " has \""
                            + CONFLUENT_TAGS_PROP
                            + "\" of type "
                            + tags.getClass().getSimpleName()
                            + "; use a JSON list of strings");
        }
        boolean found = false;
        for (Object tag : list) {
            if (!(tag instanceof String name)) {
                throw new IllegalArgumentException(
                        where
                                + " has a \""
                                + CONFLUENT_TAGS_PROP
                                + "\" entry that is not a string");
            }
            found |= confluentTags.contains(name);
        }
        return found;
    }

    @Override
    public String toString() {
        return "MarkingRules[sensitive, confluentTags=" + confluentTags + "]";
    }
}
