package io.pekkoraft.chaos.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Reads a JSON-lines history back, checking each line's fields; a bad line is reported with its number. */
public final class HistoryReader {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HistoryReader() {}

  public static List<Event> read(Path file) throws IOException {
    List<Event> events = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) continue;
        try {
          events.add(parse(line));
        } catch (IOException | RuntimeException e) {
          throw new IllegalArgumentException(file + " line " + number + ": " + e.getMessage(), e);
        }
      }
    }
    return events;
  }

  /** One event from one line of JSON. */
  public static Event parse(String line) throws IOException {
    JsonNode node = JSON.readTree(line);
    if (node == null || !node.isObject()) throw new IllegalArgumentException("not a JSON object");
    return new Event(
        required(node, "process").asInt(),
        Event.Type.valueOf(required(node, "type").asText().toUpperCase(Locale.ROOT)),
        required(node, "f").asText(),
        node.hasNonNull("key") ? node.get("key").asText() : null,
        value(node.get("value")),
        required(node, "time").asLong(),
        node.hasNonNull("error") ? node.get("error").asText() : null,
        node.hasNonNull("id") ? node.get("id").asLong() : null);
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) throw new IllegalArgumentException("missing \"" + field + "\"");
    return value;
  }

  private static Object value(JsonNode value) {
    if (value == null || value.isNull()) return null;
    if (value.isIntegralNumber()) return value.asLong();
    if (value.isArray()) {
      List<Long> list = new ArrayList<>();
      for (JsonNode element : value) {
        if (!element.isIntegralNumber()) throw new IllegalArgumentException("\"value\" lists hold integers: " + value);
        list.add(element.asLong());
      }
      return List.copyOf(list);
    }
    throw new IllegalArgumentException("\"value\" must be an integer, a list of integers or null: " + value);
  }
}
