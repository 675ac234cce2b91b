package io.pekkoraft.persistence.snapshot;

import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.PLUGIN;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.persistence.testing.CapturedLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot store's configuration: its documented defaults, and a clear error naming the key for each bad value. */
class FileSnapshotStoreConfigTest {

  private static SnapshotStoreSettings settings(String hocon) {
    Config config = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).getConfig(PLUGIN);
    return SnapshotStoreSettings.from(config, PLUGIN);
  }

  private static void withStore(Config storeConfig, Consumer<SnapshotClient> test) {
    ActorSystem system = SnapshotTestSupport.startSystem(storeConfig);
    try {
      test.accept(new SnapshotClient(system, PLUGIN));
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }

  @Test
  void theDefaultsOfReferenceConfAreTheDocumentedOnes() {
    // reference.conf: the plugin class, a directory relative to the working directory, created on
    // first use, fsync on, Pekko's plugin dispatcher for blocking I/O.
    Config fresh = ConfigFactory.load().getConfig(PLUGIN);
    assertEquals(FileSnapshotStore.class.getName(), fresh.getString("class"));
    assertEquals("pekko.persistence.dispatchers.default-plugin-dispatcher", fresh.getString("plugin-dispatcher"));
    SnapshotStoreSettings s = SnapshotStoreSettings.from(fresh, PLUGIN);
    assertEquals(Path.of("pekko-raft-snapshots").toAbsolutePath(), s.dir());
    assertTrue(s.createDir());
    assertTrue(s.fsync());
  }

  @Test
  void aBlankDirIsNamedByItsKey() {
    // An empty or blank dir would put snapshots in the working directory: it is refused, naming the key.
    for (String blank : new String[] {"\"\"", "\"   \""}) {
      ConfigException e = assertThrows(ConfigException.class, () -> settings(PLUGIN + ".dir = " + blank));
      assertTrue(e.getMessage().contains(PLUGIN + ".dir"), e.getMessage());
    }
  }

  @Test
  void aValueOfTheWrongTypeIsNamedByItsFullKey() {
    // A typo in a boolean names the key as it is written in the configuration, with the plugin's path.
    for (String key : new String[] {"create-dir", "fsync"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> settings(PLUGIN + "." + key + " = maybe"));
      assertTrue(e.getMessage().contains(PLUGIN + "." + key), e.getMessage());
    }
  }

  @Test
  void aBlankDirStopsThePluginAndIsLoggedNamingTheKey() throws Exception {
    // Under Pekko: the plugin actor does not start; the error in the log names the key.
    try (CapturedLog log = new CapturedLog("org.apache.pekko.actor.OneForOneStrategy")) {
      ActorSystem system = SnapshotTestSupport.startSystem(ConfigFactory.parseString(PLUGIN + ".dir = \"\""));
      try {
        SnapshotClient store = new SnapshotClient(system, PLUGIN);
        TestKit watcher = new TestKit(system);
        watcher.watch(store.store());
        watcher.expectTerminated(Duration.ofSeconds(10), store.store());
      } finally {
        TestKit.shutdownActorSystem(system);
      }
      String expected = "Invalid value at '" + PLUGIN + ".dir'";
      String logged = log.await(log::everything, l -> l.contains(expected), SnapshotClient.TIMEOUT);
      assertTrue(logged.contains(expected), logged);
    }
  }

  @Test
  void aDirThatIsARegularFileFailsLoadsAndSavesNamingTheKey(@TempDir Path tmp) throws Exception {
    // A regular file where the directory should be: loads and saves fail, naming the key and the path.
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    withStore(SnapshotTestSupport.storeConfig(file, ""), store -> {
      String load = messages(store.loadFailure("p"));
      assertTrue(load.contains(PLUGIN + ".dir = " + file), load);
      assertTrue(load.contains("not a directory"), load);
      String save = messages(store.saveFailure("p", 1, "state"));
      assertTrue(save.contains(PLUGIN + ".dir = " + file), save);
    });
    assertEquals("x", Files.readString(file));
  }

  @Test
  void aDirBelowARegularFileFailsNamingTheKey(@TempDir Path tmp) throws Exception {
    // A directory that can never be created (its parent is a regular file): the error names the key.
    Path impossible = Files.writeString(tmp.resolve("plain-file"), "x").resolve("snapshots");
    withStore(SnapshotTestSupport.storeConfig(impossible, ""), store -> {
      String save = messages(store.saveFailure("p", 1, "state"));
      assertTrue(save.contains(PLUGIN + ".dir = " + impossible), save);
    });
  }

  @Test
  void aMissingDirIsCreatedUnlessCreateDirIsOff(@TempDir Path tmp) throws Exception {
    // With create-dir = off a missing directory fails loads and saves, naming both keys and the path,
    // and is not created; by default it is created, with its parents, on first use.
    Path missing = tmp.resolve("a/b/snapshots");
    withStore(SnapshotTestSupport.storeConfig(missing, PLUGIN + ".create-dir = off"), store -> {
      String load = messages(store.loadFailure("p"));
      assertTrue(load.contains(PLUGIN + ".dir = " + missing), load);
      assertTrue(load.contains(PLUGIN + ".create-dir"), load);
      String save = messages(store.saveFailure("p", 1, "state"));
      assertTrue(save.contains(PLUGIN + ".create-dir"), save);
    });
    assertFalse(Files.exists(missing));
    withStore(SnapshotTestSupport.storeConfig(missing, ""), store -> {
      SnapshotMetadata m = store.save("p", 1, "state");
      SnapshotClient.assertSnapshot(m, "state", store.loadLatest("p"));
    });
    assertTrue(Files.isDirectory(missing));
  }
}
