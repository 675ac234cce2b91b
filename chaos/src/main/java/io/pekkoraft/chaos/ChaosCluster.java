package io.pekkoraft.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The configuration of every process of a chaos run: {@code chaos.conf}, plus what only the runner knows at
 * run time (the ports, and which members a node lists). Node {@code node-i} listens on the i-th node port of
 * 127.0.0.1; the runner's client system on a port of its own, in the same Pekko Cluster, without being a Raft
 * member. The bootstrap members list each other in {@code pekko-raft.members}; a spare node (the membership
 * fault) starts with a {@code self-id} outside the members it lists, so it joins as a non-member and waits to
 * be added. The data settings are the testkit's ({@link LocalCluster#dataConfig}).
 */
public final class ChaosCluster {

  public static final String SYSTEM_NAME = "chaos";
  public static final String GROUP_ID = "chaos";

  private ChaosCluster() {}

  public static String memberId(int index) {
    return LocalCluster.memberId(index);
  }

  /** The Artery address of the chaos system on 127.0.0.1:{@code port}. */
  public static String address(int port) {
    return LocalCluster.address(SYSTEM_NAME, port);
  }

  /**
   * A node {@code id} on {@code port}, joining the Pekko Cluster through {@code seedPorts}, with
   * {@code members} (id to port) as its {@code pekko-raft.members}, its journal and snapshots under {@code data}.
   * An id outside {@code members} starts a joining node. {@code settings} (HOCON) are the run's own: sessions
   * on or off, the read lease.
   */
  public static Config node(String id, int port, List<Integer> seedPorts, Map<String, Integer> members, Path data,
      String settings) {
    Config own = ConfigFactory.parseString("pekko-raft.self-id = \"" + id + "\"")
        .withFallback(ConfigFactory.parseString(settings))
        .withFallback(LocalCluster.dataConfig(data))
        .withFallback(cluster(port, seedPorts, members));
    return load(own);
  }

  /**
   * The runner's client system on {@code port}: a cluster member that runs no Raft group. Its
   * {@code pekko-raft.members} lists every node that may ever be a member (a client reaches only the members
   * it lists). Its membership coordinator gives up sooner than the defaults, so that the nemesis goes on.
   * {@code settings} (HOCON) are the run's own (sessions on or off).
   */
  public static Config client(int port, List<Integer> seedPorts, Map<String, Integer> everyNode, String settings) {
    Config own = ConfigFactory.parseString(String.join("\n",
        "pekko-raft.membership.coordinator.operation-timeout = 20s",
        "pekko-raft.membership.coordinator.promote-timeout = 30s")).withFallback(ConfigFactory.parseString(settings));
    return load(own.withFallback(cluster(port, seedPorts, everyNode)));
  }

  /** Port, seed nodes (every node is a seed: a restarted node joins whichever is up) and pekko-raft.members. */
  private static Config cluster(int port, List<Integer> seedPorts, Map<String, Integer> members) {
    String seeds = seedPorts.stream().map(p -> "\"" + address(p) + "\"").collect(Collectors.joining(", "));
    StringBuilder listed = new StringBuilder("pekko-raft.members = [\n");
    members.forEach((id, p) -> listed.append("  { id = \"").append(id).append("\", address = \"").append(address(p))
        .append("\" }\n"));
    return ConfigFactory.parseString("pekko.remote.artery.canonical.port = " + port + "\n"
        + "pekko.cluster.seed-nodes = [" + seeds + "]\n" + listed.append("]\n"));
  }

  private static Config load(Config own) {
    ClassLoader loader = ChaosCluster.class.getClassLoader();
    Config shared = ConfigFactory.parseResources(loader, "chaos.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    return ConfigFactory.load(loader, own.withFallback(shared));
  }
}
