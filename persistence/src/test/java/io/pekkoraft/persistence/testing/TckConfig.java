package io.pekkoraft.persistence.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Configuration for Pekko's plugin TCK (JournalTckTest, SnapshotStoreTckTest): our plugin as the default
 * one, storing in a new temporary directory, with the logging of our other tests. The TCK builds its
 * actor system from this configuration alone (plus reference.conf), not from application-test.conf.
 */
public final class TckConfig {

  private TckConfig() {}

  /**
   * A directory for one TCK spec's plugin, not created yet: the plugin creates it when the spec's actor
   * system starts it. JUnit instantiates a spec once to discover its tests and once to run them; only
   * the run starts an actor system, and only the run's {@link #delete} removes a directory.
   */
  public static Path newDirectory(String prefix) {
    return Path.of(System.getProperty("java.io.tmpdir"), prefix + "-" + UUID.randomUUID());
  }

  /** {@code pluginKind} ("journal" or "snapshot-store") of Pekko Persistence set to {@code pluginId}, storing in {@code dir}. */
  public static Config of(String pluginKind, String pluginId, Path dir) {
    return ConfigFactory.parseString(
            "pekko.persistence." + pluginKind + ".plugin = \"" + pluginId + "\"\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
                + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n")
        .withValue(pluginId + ".dir", ConfigValueFactory.fromAnyRef(dir.toString()));
  }

  /** Removes {@code dir} and everything in it, if it exists; called once the spec's actor system has stopped. */
  public static void delete(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the TCK directory " + dir, e);
    }
  }
}
