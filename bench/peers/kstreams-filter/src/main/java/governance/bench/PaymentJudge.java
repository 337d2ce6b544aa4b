package governance.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads a Confluent wire-format Avro value with its writer schema, checks the five rules of
 * bench/sentinel-pipeline.yml and passes the original bytes on as a {@link Judged}. A record
 * that fails gets the Kafka Connect DLQ headers the sentinel writes (governance/sentinel/headers.py).
 */
final class PaymentJudge implements FixedKeyProcessor<byte[], byte[], PaymentJudge.Judged> {

    record Judged(byte[] value, boolean valid) {}

    record Failure(String rule, String message) {}

    private static final Pattern ID = Pattern.compile("^pay-[0-9]{8}$");
    private static final List<String> STATUSES = List.of("NEW", "PAID", "SHIPPED", "REFUNDED");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Registry registry;
    private final QualityFilter.Tally tally;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private FixedKeyProcessorContext<byte[], Judged> context;
    private BinaryDecoder decoder;

    PaymentJudge(Registry registry, QualityFilter.Tally tally) {
        this.registry = registry;
        this.tally = tally;
    }

    @Override
    public void init(FixedKeyProcessorContext<byte[], Judged> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
        tally.started();
        byte[] value = record.value();
        GenericRecord payment;
        try {
            payment = decode(value);
        } catch (StreamsException e) {
            throw e; // the registry is down: no record is at fault
        } catch (IOException | RuntimeException e) {
            Headers headers = dlqHeaders(record.headers(), "deserialize");
            headers.add("__connect.errors.exception.class.name", utf8(e.getClass().getName()));
            headers.add("__connect.errors.exception.message", utf8(String.valueOf(e.getMessage())));
            forward(record, false);
            return;
        }
        List<Failure> failed = check(payment);
        if (!failed.isEmpty()) {
            Headers headers = dlqHeaders(record.headers(), "validate");
            headers.add("__sentinel.failed.rules", json(failed));
        }
        forward(record, failed.isEmpty());
    }

    private void forward(FixedKeyRecord<byte[], byte[]> record, boolean valid) {
        context.forward(record.withValue(new Judged(record.value(), valid)));
        tally.processed(valid);
    }

    private GenericRecord decode(byte[] value) throws IOException {
        if (value == null) {
            throw new SerializationException("null value (tombstone): there is no record to validate");
        }
        if (value.length < 5) {
            throw new SerializationException(value.length + " bytes: too short for the Confluent wire format");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        byte magic = buffer.get();
        if (magic != 0) {
            throw new SerializationException("Unknown magic byte " + magic);
        }
        int schemaId = buffer.getInt();
        GenericDatumReader<GenericRecord> reader =
                readers.computeIfAbsent(schemaId, id -> new GenericDatumReader<>(registry.schema(id)));
        decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder);
        return reader.read(null, decoder);
    }

    private static List<Failure> check(GenericRecord payment) {
        List<Failure> failed = new ArrayList<>(1);
        String id = text(payment, "id");
        if (id == null || !ID.matcher(id).matches()) {
            failed.add(new Failure("id-format", "id " + id + " does not match " + ID));
        }
        if (field(payment, "customer") == null) {
            failed.add(new Failure("customer-not-null", "customer is null"));
        }
        Object amount = field(payment, "amount");
        if (!(amount instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 100_000)) {
            failed.add(new Failure("amount-range", "amount " + amount + " is not between 0 and 100000"));
        }
        String status = text(payment, "status");
        if (status == null || !STATUSES.contains(status)) {
            failed.add(new Failure("status-known", "status " + status + " is not one of " + STATUSES));
        }
        String note = text(payment, "note");
        if (note == null || note.isEmpty() || note.length() > 64) {
            failed.add(new Failure("note-length", "note length " + (note == null ? null : note.length())
                    + " is not between 1 and 64"));
        }
        return failed;
    }

    private static Object field(GenericRecord payment, String name) {
        return payment.hasField(name) ? payment.get(name) : null;
    }

    private static String text(GenericRecord payment, String name) {
        Object value = field(payment, name);
        return value == null ? null : value.toString();
    }

    private Headers dlqHeaders(Headers headers, String stage) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        headers.add("__connect.errors.topic", utf8(source.topic()));
        headers.add("__connect.errors.partition", utf8(Integer.toString(source.partition())));
        headers.add("__connect.errors.offset", utf8(Long.toString(source.offset())));
        headers.add("__connect.errors.stage", utf8(stage));
        return headers;
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Writer schemas by id, fetched from the schema registry once each and shared by all tasks. */
    static final class Registry {
        private final String url;
        private final HttpClient http = HttpClient.newHttpClient();
        private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

        Registry(String url) {
            this.url = url.replaceAll("/+$", "");
        }

        Schema schema(int id) {
            return schemas.computeIfAbsent(id, this::fetch);
        }

        private Schema fetch(int id) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/schemas/ids/" + id)).build();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new StreamsException("schema registry " + url + " unreachable", e);
            }
            if (response.statusCode() != 200) {
                throw new SerializationException("schema id " + id + ": the registry answered "
                        + response.statusCode() + " " + response.body());
            }
            try {
                return new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asText());
            } catch (IOException e) {
                throw new SerializationException("schema id " + id + ": unreadable answer " + response.body(), e);
            }
        }
    }
}
