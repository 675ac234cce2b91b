package io.pekkoraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.dispatch.Dispatchers;
import org.junit.jupiter.api.Test;

/** pekko-raft-node.conf, included as the README asks, does what its comments say. */
class NodeConfigTest {

  @Test
  void includedNodeConfigSetsTheFrameAndRunsEverythingOnOnePool() {
    Config config = ConfigFactory.parseString("""
        include "pekko-raft-node.conf"
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.port = 0
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.cluster.jmx.enabled = off
        """).withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "node-config", config);
    try {
      Config c = system.settings().config();
      assertEquals(2L * 1024 * 1024, c.getBytes("pekko.remote.artery.advanced.maximum-frame-size"));
      assertEquals(1, c.getInt("pekko.remote.artery.advanced.inbound-lanes"));
      assertEquals(2, c.getInt("pekko.actor.default-dispatcher.fork-join-executor.parallelism-min"),
          "one thread per core: factor 1.0 decides from 2 cores up");
      assertEquals(1.0, c.getDouble("pekko.actor.default-dispatcher.fork-join-executor.parallelism-factor"));
      Dispatchers dispatchers = system.classicSystem().dispatchers();
      Object pool = dispatchers.defaultGlobalDispatcher();
      assertSame(pool, dispatchers.lookup("pekko.actor.internal-dispatcher"), "internal actors on the default pool");
      assertSame(pool, dispatchers.lookup(c.getString("pekko.remote.artery.advanced.use-dispatcher")), "Artery's streams");
      assertSame(pool, dispatchers.lookup(c.getString("pekko.io.tcp.worker-dispatcher")), "TCP connections");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }
}
