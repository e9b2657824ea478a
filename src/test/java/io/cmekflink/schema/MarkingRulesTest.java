package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class MarkingRulesTest {

    private static final MarkingRules SENSITIVE = MarkingRules.sensitiveOnly();
    private static final MarkingRules PII = MarkingRules.withConfluentTags(List.of("PII"));

    private static List<String> marks(MarkingRules rules, Schema schema) {
        return rules.findMarkedFields(schema).stream().map(MarkedField::toString).toList();
    }

    @Test
    void findsMarksInNestedRecords() {
        Schema schema =
                Schemas.top(
                        "{'name':'client_ip','type':'string','sensitive':true},"
                            + "{'name':'request','type':{'type':'record','name':'Request','fields':["
                            + "{'name':'path','type':'string'},"
                            + "{'name':'meta','type':{'type':'record','name':'Meta','fields':["
                            + "{'name':'auth','type':'string','sensitive':true}]}}]}}");

        assertThat(marks(SENSITIVE, schema))
                .containsExactly("test.Top.client_ip", "test.Meta.auth");
    }

    @Test
    void findsMarksInArrayItemsAndMapValues() {
        Schema schema =
                Schemas.top(
                        "{'name':'tries','type':{'type':'array','items':{'type':'record','name':'Try',"
                            + "'fields':[{'name':'ip','type':'string','sensitive':true}]}}},"
                            + "{'name':'routes','type':{'type':'map','values':{'type':'record',"
                            + "'name':'Route','fields':[{'name':'secret','type':'string','sensitive':true}]}}}");

        assertThat(marks(SENSITIVE, schema)).containsExactly("test.Try.ip", "test.Route.secret");
    }

    @Test
    void findsMarksInUnionBranches() {
        Schema schema =
                Schemas.top(
                        "{'name':'payload','type':['null','string',"
                            + "{'type':'record','name':'Card','fields':[{'name':'number','type':'string','sensitive':true}]},"
                            + "{'type':'array','items':{'type':'record','name':'Item','fields':["
                            + "{'name':'code','type':'string','sensitive':true}]}}]}");

        assertThat(marks(SENSITIVE, schema)).containsExactly("test.Card.number", "test.Item.code");
    }

    @Test
    void findsMarksOfRecursiveRecordsOnce() {
        Schema schema =
                Schemas.top(
                        "{'name':'tree','type':{'type':'record','name':'Node','fields':["
                                + "{'name':'secret','type':'string','sensitive':true},"
                                + "{'name':'children','type':{'type':'array','items':'Node'}},"
                                + "{'name':'next','type':['null','Node'],'default':null}]}},"
                                + "{'name':'other','type':'Node'}");

        assertThat(marks(SENSITIVE, schema)).containsExactly("test.Node.secret");
    }

    @Test
    void honoursConfiguredConfluentTagsOnly() {
        Schema schema =
                Schemas.top(
                        "{'name':'email','type':'string','confluent:tags':['PII']},"
                            + "{'name':'note','type':'string','confluent:tags':['internal']},"
                            + "{'name':'ip','type':'string','confluent:tags':['internal','PII']}");

        assertThat(marks(PII, schema)).containsExactly("test.Top.email", "test.Top.ip");
        assertThat(marks(SENSITIVE, schema)).isEmpty();
    }

    @Test
    void marksRecordArrayAndMapFieldsAsOneValue() {
        Schema schema =
                Schemas.top(
                        "{'name':'address','sensitive':true,'type':{'type':'record','name':'Address',"
                            + "'fields':[{'name':'street','type':'string','sensitive':true}]}},"
                            + "{'name':'ips','sensitive':true,'type':{'type':'array','items':"
                            + "{'type':'record','name':'Ip','fields':[{'name':'v','type':'string','sensitive':true}]}}},"
                            + "{'name':'headers','sensitive':true,'type':{'type':'map','values':"
                            + "{'type':'record','name':'Header','fields':[{'name':'v','type':'string','sensitive':true}]}}}");

        List<MarkedField> found = SENSITIVE.findMarkedFields(schema);

        assertThat(found)
                .extracting(MarkedField::toString)
                .containsExactly("test.Top.address", "test.Top.ips", "test.Top.headers");
        assertThat(found.get(0).schema().getType()).isEqualTo(Schema.Type.RECORD);
        assertThat(found.get(1).schema().getType()).isEqualTo(Schema.Type.ARRAY);
        assertThat(found.get(2).schema().getType()).isEqualTo(Schema.Type.MAP);
    }

    @Test
    void sensitiveFalseIsNotMarked() {
        Schema schema = Schemas.top("{'name':'ip','type':'string','sensitive':false}");

        assertThat(marks(SENSITIVE, schema)).isEmpty();
    }

    @Test
    void rejectsSensitiveThatIsNotBoolean() {
        Schema schema = Schemas.top("{'name':'ip','type':'string','sensitive':'true'}");

        assertThatThrownBy(() -> SENSITIVE.findMarkedFields(schema))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "field 'ip' has \"sensitive\" of type String; use the JSON boolean true or"
                                + " false");
    }

    @Test
    void rejectsConfluentTagsThatAreNotAList() {
        Schema schema = Schemas.top("{'name':'ip','type':'string','confluent:tags':'PII'}");

        assertThatThrownBy(() -> PII.findMarkedFields(schema))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "field 'ip' has \"confluent:tags\" of type String; use a JSON list of"
                                + " strings");
    }

    @Test
    void rejectsMarkOnTypeSchema() {
        Schema schema = Schemas.top("{'name':'ip','type':{'type':'string','sensitive':true}}");

        assertThatThrownBy(() -> DerivedSchema.derive(schema, DerivationOptions.of(SENSITIVE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "the string type of test.Top.ip carries \"sensitive\", but marks are read"
                                + " from fields only; move it to the field that uses the type");
    }

    @Test
    void rejectsConfiguredTagOnRecordType() {
        Schema schema =
                Schemas.top(
                        "{'name':'user','type':{'type':'record','name':'User','confluent:tags':['PII'],"
                            + "'fields':[{'name':'id','type':'string'}]}}");

        assertThatThrownBy(() -> DerivedSchema.derive(schema, DerivationOptions.of(PII)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(
                        "the record type of test.Top.user carries a configured Confluent tag");
    }

    @Test
    void rejectsBlankTag() {
        assertThatThrownBy(() -> MarkingRules.withConfluentTags(List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Confluent tag must not be blank, got ' '");
    }
}
