package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Kryo registrars list is assembled from every module's reference.conf, and Typesafe Config lets
 * the first reference.conf on the class path win. A module that set the list with {@code =} dropped the
 * entries of every module found after it: the benchmark's class path put the persistence jar before
 * the consensus jar, and its members could not serialize a RequestVote.
 */
class RegistrarsConfigTest {

  private static final String KEY = "pekko-raft.serialization.registrars";

  @Test
  void theRegistrarsListHasEveryModulesEntryWhicheverJarComesFirst() throws Exception {
    List<Config> files = new ArrayList<>();
    for (URL url :
        Collections.list(getClass().getClassLoader().getResources("reference.conf"))) {
      Config file = ConfigFactory.parseURL(url);
      if (file.hasPathOrNull(KEY)) {
        files.add(file);
      }
    }
    assertTrue(files.size() >= 2, "expected the persistence and consensus reference.conf: " + files);
    for (List<Config> order : List.of(files, reversed(files))) {
      Config merged = ConfigFactory.empty();
      for (Config file : order) {
        merged = merged.withFallback(file);
      }
      List<String> registrars = merged.resolve().getStringList(KEY);
      assertTrue(
          registrars.contains("io.pekkoraft.persistence.serialization.PersistenceKryoRegistrar")
              && registrars.contains("io.pekkoraft.consensus.impl.ConsensusKryoRegistrar"),
          "registrars merged in the order " + order.stream().map(c -> c.origin().description()).toList()
              + ": " + registrars);
    }
  }

  private static List<Config> reversed(List<Config> files) {
    List<Config> copy = new ArrayList<>(files);
    Collections.reverse(copy);
    return copy;
  }
}
