package governance.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.StreamsException;

/** The schema registry's answers for schema ids, fetched once each and shared by all tasks. */
final class Registry {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, JsonNode> answers = new ConcurrentHashMap<>();

    Registry(String url) {
        this.url = url.replaceAll("/+$", "");
    }

    /** {@code GET /schemas/ids/{id}}{@code query}: the schema's JSON (an unreachable registry stops the app). */
    JsonNode schema(int id, String query) {
        return answers.computeIfAbsent(id + query, key -> fetch(id, query));
    }

    private JsonNode fetch(int id, String query) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/schemas/ids/" + id + query)).build();
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
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SerializationException("schema id " + id + ": unreadable answer " + response.body(), e);
        }
    }
}
