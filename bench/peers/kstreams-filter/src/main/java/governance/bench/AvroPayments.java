package governance.bench;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/** Confluent wire-format Avro: magic byte, schema id, then the record in its writer schema. */
final class AvroPayments implements PaymentDecoder {
    private final Registry registry;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private BinaryDecoder decoder;

    AvroPayments(Registry registry) {
        this.registry = registry;
    }

    @Override
    public Payment decode(byte[] value) throws IOException {
        int schemaId = PaymentDecoder.schemaId(value, 5);
        GenericDatumReader<GenericRecord> reader = readers.computeIfAbsent(schemaId, id -> new GenericDatumReader<>(
                new Schema.Parser().parse(registry.schema(id, "").get("schema").asText())));
        decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder);
        GenericRecord payment = reader.read(null, decoder);
        return name -> payment.hasField(name) ? payment.get(name) : null;
    }
}
