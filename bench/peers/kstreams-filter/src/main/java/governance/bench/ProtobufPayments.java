package governance.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent wire-format Protobuf: magic byte, schema id, the message-index list (zigzag varints:
 * a count, then the path from the file's top-level messages through nested types; the single
 * byte 0 for the first message), then the payload, read as a {@link DynamicMessage} of the
 * descriptor the registry serves with {@code ?format=serialized} (no generated code).
 *
 * <p>Proto3 scalars without presence read as their value, defaults included; fields with
 * presence ({@code optional}, messages) read as null when absent, as in the sentinel. Files that
 * import others are not read (the bench's Payment imports nothing).
 */
final class ProtobufPayments implements PaymentDecoder {
    private static final int MAX_INDEXES = 64;

    private final Registry registry;
    private final Map<Integer, FileDescriptor> files = new HashMap<>();
    private final Map<Descriptor, Map<String, FieldDescriptor>> fields = new HashMap<>();

    ProtobufPayments(Registry registry) {
        this.registry = registry;
    }

    @Override
    public Payment decode(byte[] value) throws IOException {
        int schemaId = PaymentDecoder.schemaId(value, 6);
        FileDescriptor file = files.computeIfAbsent(schemaId, this::file);
        CodedInputStream input = CodedInputStream.newInstance(value, 5, value.length - 5);
        Descriptor type = messageType(file, input);
        DynamicMessage message = DynamicMessage.newBuilder(type).mergeFrom(input).build();
        Map<String, FieldDescriptor> byName = fields.computeIfAbsent(type, ProtobufPayments::fieldsByName);
        return name -> {
            FieldDescriptor field = byName.get(name);
            if (field == null || field.hasPresence() && !message.hasField(field)) {
                return null;
            }
            Object got = message.getField(field);
            return got instanceof com.google.protobuf.Descriptors.EnumValueDescriptor e ? e.getName() : got;
        };
    }

    private static Descriptor messageType(FileDescriptor file, CodedInputStream input) throws IOException {
        int count = input.readSInt32();
        List<Integer> indexes = new ArrayList<>(List.of(0));
        if (count != 0) {
            if (count < 0 || count > MAX_INDEXES) {
                throw new SerializationException("the message index list claims " + count + " entries");
            }
            indexes.clear();
            for (int i = 0; i < count; i++) {
                indexes.add(input.readSInt32());
            }
        }
        List<Descriptor> types = file.getMessageTypes();
        Descriptor type = null;
        for (int index : indexes) {
            if (index < 0 || index >= types.size()) {
                throw new SerializationException("message index list " + indexes + " names no message of "
                        + file.getName());
            }
            type = types.get(index);
            types = type.getNestedTypes();
        }
        return type;
    }

    private FileDescriptor file(int schemaId) {
        JsonNode answer = registry.schema(schemaId, "?format=serialized");
        if (!"PROTOBUF".equals(answer.path("schemaType").asText())) {
            throw new SerializationException("schema id " + schemaId + " is not a Protobuf schema");
        }
        if (answer.path("references").size() > 0) {
            throw new SerializationException("schema id " + schemaId + " imports other files: not read by this peer");
        }
        try {
            FileDescriptorProto proto = FileDescriptorProto.parseFrom(
                    Base64.getDecoder().decode(answer.get("schema").asText()));
            return FileDescriptor.buildFrom(proto, new FileDescriptor[0]);
        } catch (InvalidProtocolBufferException | DescriptorValidationException | IllegalArgumentException e) {
            throw new SerializationException("schema id " + schemaId + ": unreadable descriptor", e);
        }
    }

    private static Map<String, FieldDescriptor> fieldsByName(Descriptor type) {
        Map<String, FieldDescriptor> byName = new HashMap<>();
        for (FieldDescriptor field : type.getFields()) {
            byName.put(field.getName(), field);
        }
        return byName;
    }
}
