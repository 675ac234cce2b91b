package io.pekkoraft.persistence.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Helpers for the journal's store-level tests: events, directories, captured log lines. */
final class JournalTestSupport {

  private JournalTestSupport() {}

  /** An event whose payload is {@code size} bytes derived from the persistence id and sequence number. */
  static StoredEvent event(String pid, long seq, int size) {
    return StoredEvent.of(pid, seq, 1_700_000_000_000L + seq, "writer-1", "", 4, "m", payload(pid, seq, size));
  }

  static byte[] payload(String pid, long seq, int size) {
    byte[] seed = (pid + "/" + seq + "/").getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[size];
    for (int i = 0; i < size; i++) p[i] = seed[i % seed.length];
    return p;
  }

  static List<StoredEvent> events(String pid, long from, int count, int size) {
    List<StoredEvent> events = new ArrayList<>();
    for (long s = from; s < from + count; s++) events.add(event(pid, s, size));
    return events;
  }

  /** Appends and waits; fails the test when the journal rejects or fails the write. */
  static void appendAndWait(JournalStore store, List<StoredEvent> events) {
    Optional<Exception> outcome;
    try {
      outcome = store.append(events).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("append failed", e);
    }
    if (outcome.isPresent()) throw new AssertionError("append rejected", outcome.get());
  }

  static List<StoredEvent> replayAll(JournalStore store, String pid) {
    List<StoredEvent> out = new ArrayList<>();
    try {
      store.replay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE, out::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static List<Long> seqs(List<StoredEvent> events) {
    return events.stream().map(StoredEvent::sequenceNr).toList();
  }

  static List<Long> range(long from, long to) {
    List<Long> r = new ArrayList<>();
    for (long s = from; s <= to; s++) r.add(s);
    return r;
  }

  static JournalSettings settings(Path dir) {
    return JournalSettings.defaults(dir);
  }

  static void copyDirectory(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, to.resolve(f.getFileName()));
    }
  }

  static List<Path> segmentFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".seg")).sorted().toList();
    }
  }

  static Path lastSegment(Path dir) throws IOException {
    List<Path> segments = segmentFiles(dir);
    return segments.get(segments.size() - 1);
  }

}
