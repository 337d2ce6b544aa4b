package governance.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Turns a Confluent wire-format value into a {@link Payment}: {@link AvroPayments} or
 * {@link ProtobufPayments}, one instance per stream task (they reuse buffers).
 */
interface PaymentDecoder {

    /** A decoded payment's fields by name; null where the record has no such field or it is absent. */
    interface Payment {
        Object get(String name);
    }

    Payment decode(byte[] value) throws IOException;

    static PaymentDecoder forFormat(String format, Registry registry) {
        return switch (format) {
            case "avro" -> new AvroPayments(registry);
            case "protobuf" -> new ProtobufPayments(registry);
            default -> throw new IllegalArgumentException("FORMAT is avro or protobuf, not " + format);
        };
    }

    /** The schema id after the magic byte; {@code minLength} counts the header and what must follow it. */
    static int schemaId(byte[] value, int minLength) {
        if (value == null) {
            throw new SerializationException("null value (tombstone): there is no record to validate");
        }
        if (value.length < minLength) {
            throw new SerializationException(value.length + " bytes: too short for the Confluent wire format");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        byte magic = buffer.get();
        if (magic != 0) {
            throw new SerializationException("Unknown magic byte " + magic);
        }
        return buffer.getInt();
    }
}
