package governance.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads a Confluent wire-format value (Avro or Protobuf, see {@link PaymentDecoder}), checks the five rules of
 * bench/sentinel-pipeline.yml and passes the original bytes on as a {@link Judged}. A record
 * that fails gets the Kafka Connect DLQ headers the sentinel writes (governance/sentinel/headers.py).
 */
final class PaymentJudge implements FixedKeyProcessor<byte[], byte[], PaymentJudge.Judged> {

    record Judged(byte[] value, boolean valid) {}

    record Failure(String rule, String message) {}

    private static final Pattern ID = Pattern.compile("^pay-[0-9]{8}$");
    private static final List<String> STATUSES = List.of("NEW", "PAID", "SHIPPED", "REFUNDED");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PaymentDecoder decoder;
    private final QualityFilter.Tally tally;
    private FixedKeyProcessorContext<byte[], Judged> context;

    PaymentJudge(PaymentDecoder decoder, QualityFilter.Tally tally) {
        this.decoder = decoder;
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
        PaymentDecoder.Payment payment;
        try {
            payment = decoder.decode(value);
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

    private static List<Failure> check(PaymentDecoder.Payment payment) {
        List<Failure> failed = new ArrayList<>(1);
        String id = text(payment.get("id"));
        if (id == null || !ID.matcher(id).matches()) {
            failed.add(new Failure("id-format", "id " + id + " does not match " + ID));
        }
        if (payment.get("customer") == null) {
            failed.add(new Failure("customer-not-null", "customer is null"));
        }
        Object amount = payment.get("amount");
        if (!(amount instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 100_000)) {
            failed.add(new Failure("amount-range", "amount " + amount + " is not between 0 and 100000"));
        }
        String status = text(payment.get("status"));
        if (status == null || !STATUSES.contains(status)) {
            failed.add(new Failure("status-known", "status " + status + " is not one of " + STATUSES));
        }
        String note = text(payment.get("note"));
        if (note == null || note.isEmpty() || note.length() > 64) {
            failed.add(new Failure("note-length", "note length " + (note == null ? null : note.length())
                    + " is not between 1 and 64"));
        }
        return failed;
    }

    private static String text(Object value) {
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
}
