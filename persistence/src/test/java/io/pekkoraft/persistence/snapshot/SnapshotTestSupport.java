package io.pekkoraft.persistence.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftLogSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorSystem;

/** Helpers for the file snapshot store's tests: systems on a directory, snapshot files, captured logs. */
final class SnapshotTestSupport {

  static final String PLUGIN = "pekko-raft.snapshot-store";
  private static final AtomicInteger systems = new AtomicInteger();

  private SnapshotTestSupport() {}

  /** Configuration of the file snapshot store on {@code dir}, with {@code extra} settings on top. */
  static Config storeConfig(Path dir, String extra) {
    return ConfigFactory.parseString(extra)
        .withFallback(ConfigFactory.empty().withValue(PLUGIN + ".dir", ConfigValueFactory.fromAnyRef(dir.toString())));
  }

  /** An actor system whose default snapshot store is the file store configured by {@code storeConfig}. */
  static ActorSystem startSystem(Config storeConfig) {
    return ActorSystem.create("file-snapshots-" + systems.incrementAndGet(), startSystemConfig(storeConfig));
  }

  /** The whole configuration of such a system. */
  static Config startSystemConfig(Config storeConfig) {
    return systemConfig(storeConfig, PLUGIN);
  }

  /** A test system's configuration: the store's, this plugin as the default store, quiet logging. */
  static Config systemConfig(Config storeConfig, String pluginId) {
    return storeConfig
        .withFallback(ConfigFactory.parseString(
            "pekko.persistence.snapshot-store.plugin = \"" + pluginId + "\"\n"
                + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
                + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
                + "pekko.actor.serialize-messages = off\n"))
        .withFallback(ConfigFactory.load());
  }

  /** The files in {@code dir}, sorted by name. */
  static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  /** The one file in {@code dir}. */
  static Path onlyFile(Path dir) throws IOException {
    List<Path> files = files(dir);
    if (files.size() != 1) throw new AssertionError("expected one file in " + dir + ", found " + files);
    return files.get(0);
  }

  /** The state of a Raft node as the consensus module saves it, compacted up to {@code 98 + n}. */
  static RaftLogSnapshot raftLogSnapshot(long term, int n) {
    return new RaftLogSnapshot(term, "node-2", 100 + n, term - 1, 4096L * n, 98 + n, term - 1, 17L * n, 20L * n, 90 + n,
        new byte[] {1, 0, 1, 0, 6, 'n', 'o', 'd', 'e', '-', '1', 0, 0, 0, 0, 0, 0}, -7_000_000_000L * n);
  }

  static void assertSameRaftLogSnapshot(RaftLogSnapshot expected, Object actual) {
    if (!(actual instanceof RaftLogSnapshot a)) throw new AssertionError("expected a RaftLogSnapshot, got " + actual);
    assertEquals(expected, a);
  }

  /** The message of {@code t} and of every cause, one per line. */
  static String messages(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) all.append(c).append('\n');
    return all.toString();
  }

  /** Log lines of one logger, captured while open. */

}
