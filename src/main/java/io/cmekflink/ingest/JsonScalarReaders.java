package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.util.Utf8;

/**
 * Readers of JSON scalars. Numbers follow the JSON token type: an integer token is an int or long
 * only within range, a float token never becomes an int or long, and float and double take any
 * number. Bytes and fixed values are base64 strings (RFC 4648 standard alphabet, padding optional).
 */
final class JsonScalarReaders {

    private JsonScalarReaders() {}

    static final class NullReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws DecodeFailure {
            if (token != JsonToken.VALUE_NULL) {
                throw mismatch(parser, token);
            }
            return null;
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.VALUE_NULL;
        }

        @Override
        String expected() {
            return "null";
        }
    }

    static final class BooleanReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws DecodeFailure {
            if (token == JsonToken.VALUE_TRUE) {
                return Boolean.TRUE;
            }
            if (token == JsonToken.VALUE_FALSE) {
                return Boolean.FALSE;
            }
            throw mismatch(parser, token);
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE;
        }

        @Override
        String expected() {
            return "boolean";
        }
    }

    /** Reads int and the logical types on int (date, time-millis), which keep their int value. */
    static final class IntReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                throw mismatch(parser, token);
            }
            if (parser.getNumberType() != JsonParser.NumberType.INT) {
                throw outOfRange(parser, "int");
            }
            return parser.getIntValue();
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) throws IOException {
            return token == JsonToken.VALUE_NUMBER_INT
                    && parser.getNumberType() == JsonParser.NumberType.INT;
        }

        @Override
        String expected() {
            return "int";
        }
    }

    /**
     * Reads long and the logical types on long (timestamp-millis and the other timestamps,
     * time-micros), which keep their long value: timestamp-millis takes an integer of milliseconds.
     */
    static final class LongReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                throw mismatch(parser, token);
            }
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw outOfRange(parser, "long");
            }
            return parser.getLongValue();
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) throws IOException {
            return token == JsonToken.VALUE_NUMBER_INT
                    && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
        }

        @Override
        String expected() {
            return "long";
        }
    }

    static final class FloatReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (!isNumber(token)) {
                throw mismatch(parser, token);
            }
            double value = parser.getDoubleValue();
            float narrowed = (float) value;
            if (Float.isInfinite(narrowed)) {
                throw outOfRange(parser, "float");
            }
            return narrowed;
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return isNumber(token);
        }

        @Override
        String expected() {
            return "float";
        }
    }

    static final class DoubleReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (!isNumber(token)) {
                throw mismatch(parser, token);
            }
            double value = parser.getDoubleValue();
            if (Double.isInfinite(value)) {
                throw outOfRange(parser, "double");
            }
            return value;
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return isNumber(token);
        }

        @Override
        String expected() {
            return "double";
        }
    }

    /**
     * Reads strings as {@link Utf8}, or as {@link String} when the schema has the property {@code
     * "avro.java.string": "String"}, as Avro's generic reader does. Also serves uuid, whose text is
     * not checked, as Avro's binary reader does not check it either.
     */
    static final class StringReader extends JsonValueReader {
        private final boolean javaString;

        StringReader(boolean javaString) {
            this.javaString = javaString;
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.VALUE_STRING) {
                throw mismatch(parser, token);
            }
            String text = parser.getText();
            return javaString ? text : new Utf8(text);
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.VALUE_STRING;
        }

        @Override
        String expected() {
            return "string";
        }
    }

    static final class BytesReader extends JsonValueReader {
        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.VALUE_STRING) {
                throw mismatch(parser, token);
            }
            return ByteBuffer.wrap(base64(parser, "bytes"));
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.VALUE_STRING;
        }

        @Override
        String expected() {
            return "bytes (base64 string)";
        }
    }

    static final class FixedReader extends JsonValueReader {
        private final Schema schema;

        FixedReader(Schema schema) {
            this.schema = schema;
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.VALUE_STRING) {
                throw mismatch(parser, token);
            }
            byte[] bytes = base64(parser, "fixed " + schema.getFullName());
            if (bytes.length != schema.getFixedSize()) {
                throw DecodeFailure.malformed(
                        "fixed "
                                + schema.getFullName()
                                + " needs "
                                + schema.getFixedSize()
                                + " bytes, the base64 string holds "
                                + bytes.length,
                        location(parser));
            }
            return new GenericData.Fixed(schema, bytes);
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.VALUE_STRING;
        }

        @Override
        String expected() {
            return "fixed " + schema.getFullName() + " (base64 string)";
        }
    }

    /** Reads an enum symbol from a JSON string. The enum's default symbol is not applied. */
    static final class EnumReader extends JsonValueReader {
        private final Schema schema;
        private final Map<String, GenericData.EnumSymbol> symbols = new HashMap<>();

        EnumReader(Schema schema) {
            this.schema = schema;
            for (String symbol : schema.getEnumSymbols()) {
                symbols.put(symbol, new GenericData.EnumSymbol(schema, symbol));
            }
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.VALUE_STRING) {
                throw mismatch(parser, token);
            }
            GenericData.EnumSymbol symbol = symbols.get(parser.getText());
            if (symbol == null) {
                throw DecodeFailure.malformed(
                        "string is not a symbol of enum "
                                + schema.getFullName()
                                + " (symbols: "
                                + String.join(", ", schema.getEnumSymbols())
                                + ")",
                        location(parser));
            }
            return symbol;
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) throws IOException {
            return token == JsonToken.VALUE_STRING && symbols.containsKey(parser.getText());
        }

        @Override
        String expected() {
            return "enum " + schema.getFullName();
        }
    }

    /**
     * Reads the decimal logical type (on bytes or fixed) from a JSON number. The number must fit
     * the precision and carry no more fractional digits than the scale; nothing is rounded.
     */
    static final class DecimalReader extends JsonValueReader {
        private static final Conversions.DecimalConversion CONVERSION =
                new Conversions.DecimalConversion();

        private final Schema schema;
        private final LogicalTypes.Decimal decimal;

        DecimalReader(Schema schema) {
            this.schema = schema;
            this.decimal = (LogicalTypes.Decimal) schema.getLogicalType();
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (!isNumber(token)) {
                throw mismatch(parser, token);
            }
            BigDecimal value = parser.getDecimalValue().stripTrailingZeros();
            int scale = decimal.getScale();
            if (value.scale() > scale) {
                throw DecodeFailure.malformed(
                        "number has more fractional digits than the decimal scale " + scale,
                        location(parser));
            }
            // Checked before setScale, which would build 10^n digits for an exponent n.
            if (value.precision() - value.scale() > decimal.getPrecision() - scale) {
                throw DecodeFailure.malformed(
                        "number has more integer digits than decimal("
                                + decimal.getPrecision()
                                + ", "
                                + scale
                                + ") allows",
                        location(parser));
            }
            BigDecimal scaled = value.setScale(scale);
            if (schema.getType() == Schema.Type.FIXED) {
                return CONVERSION.toFixed(scaled, schema, decimal);
            }
            return CONVERSION.toBytes(scaled, schema, decimal);
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return isNumber(token);
        }

        @Override
        String expected() {
            return "decimal(" + decimal.getPrecision() + ", " + decimal.getScale() + ") number";
        }
    }

    /** Reads the big-decimal logical type (Avro 1.12, on bytes) from a JSON number. */
    static final class BigDecimalReader extends JsonValueReader {
        private static final Conversions.BigDecimalConversion CONVERSION =
                new Conversions.BigDecimalConversion();

        private final Schema schema;

        BigDecimalReader(Schema schema) {
            this.schema = schema;
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (!isNumber(token)) {
                throw mismatch(parser, token);
            }
            return CONVERSION.toBytes(parser.getDecimalValue(), schema, schema.getLogicalType());
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return isNumber(token);
        }

        @Override
        String expected() {
            return "big-decimal number";
        }
    }

    private static boolean isNumber(JsonToken token) {
        return token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT;
    }

    private static DecodeFailure outOfRange(JsonParser parser, String type) {
        return DecodeFailure.malformed(
                "number is out of the range of " + type, JsonValueReader.location(parser));
    }

    private static byte[] base64(JsonParser parser, String typeName) throws IOException {
        try {
            return Base64.getDecoder().decode(parser.getText());
        } catch (IllegalArgumentException e) {
            throw DecodeFailure.malformed(
                    "string is not valid base64 for " + typeName, JsonValueReader.location(parser));
        }
    }
}
