package io.pekkoraft.chaos.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Records a history: every event goes to a JSON-lines file as it happens (so that a run that dies still leaves
 * its history), and is kept in memory for the checker. Safe for concurrent clients: events are written in the
 * order they are recorded.
 */
public final class HistoryWriter implements Closeable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final BufferedWriter out;
  private final List<Event> events = new ArrayList<>();

  public HistoryWriter(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  /** Appends {@code event}. */
  public synchronized void record(Event event) {
    try {
      out.write(JSON.writeValueAsString(event));
      out.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the history", e);
    }
    events.add(event);
  }

  /** Everything recorded so far, in order. */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
