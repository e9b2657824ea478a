package io.cmekflink.local.demo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Writes a record as plain JSON the way Kong's log plugins do with lua-cjson: a field whose value
 * is null is left out (a Lua nil has no key), {@code /} is escaped as {@code \/}, non-ASCII text is
 * written as UTF-8, and a double is written as C's {@code %.14g} writes it, so an integral double
 * is an integer. The 14 digits are lua-cjson's default, which the module {@code cjson} that
 * file-log, http-log, tcp-log and udp-log require keeps; Kong 3.6 raised only its {@code
 * cjson.safe} instances to 16.
 *
 * <p>Records of the schemas in {@code explicitNullRecords} write their null fields as JSON null
 * instead, as Kong's entity rows do when they carry {@code ngx.null}.
 */
final class KongJsonWriter {

    private static final int PRECISION = 14;

    private final JsonFactory factory;

    KongJsonWriter() {
        this.factory = JsonFactory.builder().build();
        factory.setCharacterEscapes(new SlashEscapes());
    }

    byte[] write(GenericRecord record, Set<String> explicitNullRecords) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (JsonGenerator generator = factory.createGenerator(out)) {
            writeValue(generator, record, explicitNullRecords);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a generated Kong entry failed", e);
        }
        return out.toByteArray();
    }

    private void writeValue(JsonGenerator generator, Object value, Set<String> explicitNulls)
            throws IOException {
        if (value == null) {
            generator.writeNull();
        } else if (value instanceof GenericRecord record) {
            writeRecord(generator, record, explicitNulls);
        } else if (value instanceof Map<?, ?> map) {
            generator.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                generator.writeFieldName(entry.getKey().toString());
                writeValue(generator, entry.getValue(), explicitNulls);
            }
            generator.writeEndObject();
        } else if (value instanceof Collection<?> items) {
            generator.writeStartArray();
            for (Object item : items) {
                writeValue(generator, item, explicitNulls);
            }
            generator.writeEndArray();
        } else if (value instanceof Boolean flag) {
            generator.writeBoolean(flag);
        } else if (value instanceof Integer number) {
            generator.writeNumber(number);
        } else if (value instanceof Long number) {
            generator.writeNumber(number);
        } else if (value instanceof Double number) {
            writeDouble(generator, number);
        } else if (value instanceof CharSequence || value instanceof GenericData.EnumSymbol) {
            generator.writeString(value.toString());
        } else {
            throw new IllegalArgumentException(
                    "no JSON form for generated value of type " + value.getClass().getName());
        }
    }

    private void writeRecord(
            JsonGenerator generator, GenericRecord record, Set<String> explicitNulls)
            throws IOException {
        boolean writeNulls = explicitNulls.contains(record.getSchema().getFullName());
        generator.writeStartObject();
        for (Schema.Field field : record.getSchema().getFields()) {
            Object value = record.get(field.pos());
            if (value == null && !writeNulls) {
                continue;
            }
            generator.writeFieldName(field.name());
            writeValue(generator, value, explicitNulls);
        }
        generator.writeEndObject();
    }

    private static void writeDouble(JsonGenerator generator, double value) throws IOException {
        generator.writeNumber(cjsonNumber(value));
    }

    /**
     * Returns a finite double as C's {@code printf("%.14g")} prints it: 14 significant digits
     * without trailing zeros, in exponent form ({@code 1.7410032001231e+18}) when the exponent is
     * below -4 or at least 14.
     */
    static String cjsonNumber(double value) {
        BigDecimal rounded =
                new BigDecimal(value)
                        .round(new MathContext(PRECISION, RoundingMode.HALF_EVEN))
                        .stripTrailingZeros();
        int exponent = rounded.precision() - rounded.scale() - 1;
        if (exponent >= -4 && exponent < PRECISION) {
            return rounded.toPlainString();
        }
        String digits = rounded.unscaledValue().abs().toString();
        String mantissa =
                digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String sign = rounded.signum() < 0 ? "-" : "";
        return String.format(
                "%s%se%s%02d", sign, mantissa, exponent < 0 ? "-" : "+", Math.abs(exponent));
    }

    /** Jackson's standard escapes plus {@code \/}, as lua-cjson writes a slash by default. */
    private static final class SlashEscapes extends CharacterEscapes {
        private static final SerializedString SLASH = new SerializedString("\\/");
        private final int[] escapes;

        SlashEscapes() {
            escapes = standardAsciiEscapesForJSON();
            escapes['/'] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch == '/' ? SLASH : null;
        }
    }
}
